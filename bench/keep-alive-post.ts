import http from 'node:http';

/**
 * A POST of a JSON body through a keep-alive `node:http` agent, resolving with the answer's
 * text: what real capture clients use (a session), and cheaper in this process than undici's
 * fetch (~0.5 ms a request), so a benchmark measures the server, not its own client.
 */
export function keepAlivePost(maxSockets: number): {
  post: (url: string, body: string) => Promise<string>;
  /** Closes the kept-alive sockets, so the process can exit. */
  close: () => void;
} {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const post = (url: string, body: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}
