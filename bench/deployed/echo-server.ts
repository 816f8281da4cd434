// A bare grpc-js echo server in its own process (the transport floor of the deployed benchmark); prints its address.
import { startEchoServer } from '../grpc-echo.js';

const echo = await startEchoServer();
process.stdout.write(`${echo.address}\n`);
process.on('SIGTERM', () => { echo.stop(); process.exit(0); });
