// The environment that points ordinary HTTP clients (curl, wget, requests, undici's EnvHttpProxyAgent) at a proxy.

/** Every spelling clients read; NO_PROXY empty so nothing bypasses the proxy (there is no other route anyway). */
export function proxyEnv(url: string): Record<string, string> {
  return { HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url, ALL_PROXY: url, all_proxy: url, NO_PROXY: '', no_proxy: '' };
}
