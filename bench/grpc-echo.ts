// A bare gRPC server with the same contract and options whose ExecuteTask echoes at once: the transport floor.
import * as grpc from '@grpc/grpc-js';
import { loadAri } from '../src/server/proto.js';

export async function startEchoServer(): Promise<{ address: string; stop(): void }> {
  const server = new grpc.Server();
  const echo: grpc.handleUnaryCall<{ task_id: string; agent_id: string; input: Buffer }, unknown> = (call, cb) =>
    cb(null, { task_id: call.request.task_id, agent_id: call.request.agent_id, status: 'COMPLETED', output: call.request.input });
  server.addService(loadAri().service, { ExecuteTask: echo });
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}
