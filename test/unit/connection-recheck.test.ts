import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { Admission } from '../../src/auth/access-gate';
import { UnauthenticatedError } from '../../src/errors';
import { silentLogger } from '../../src/logger';
import type { SubscriptionGate } from '../../src/live/authorize-subscription';
import { ConnectionRecheck } from '../../src/live/connection-recheck';

/** A socket that records its close, as `ws` would send it. */
class FakeSocket extends EventEmitter {
  closedWith: [number, string] | null = null;
  close(code: number, reason: string) {
    this.closedWith = [code, reason];
    this.emit('close', code, Buffer.from(reason));
  }
}

const request = { headers: {} } as IncomingMessage;
const ok: Admission = { ok: true, principal: { tokenId: 't', name: 't', scopes: new Set(['read']), studies: null } };
const revoked: Admission = {
  ok: false,
  denial: { status: 401, error: new UnauthenticatedError('the access token was revoked'), headers: {} },
};

function gateAnswering(answer: (authorization: string | undefined) => Admission | Error) {
  const asked: Array<string | undefined> = [];
  const gate: SubscriptionGate = {
    authenticate: async (req) => {
      asked.push(req.headers.authorization);
      const a = answer(req.headers.authorization);
      if (a instanceof Error) throw a;
      return a;
    },
    admitDocument: () => ok,
  };
  return { gate, asked };
}

describe('ConnectionRecheck', () => {
  it('asks once per distinct token per round and closes only the refused token’s connections', async () => {
    const { gate, asked } = gateAnswering((auth) => (auth === 'Bearer gone' ? revoked : ok));
    const recheck = new ConnectionRecheck(gate, silentLogger, 0);
    const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    recheck.watch(sockets[0] as unknown as WebSocket, request, 'Bearer gone');
    recheck.watch(sockets[1] as unknown as WebSocket, request, 'Bearer gone');
    recheck.watch(sockets[2] as unknown as WebSocket, request, 'Bearer kept');
    await recheck.round();
    expect(asked.sort()).toEqual(['Bearer gone', 'Bearer kept']);
    expect(sockets.map((s) => s.closedWith)).toEqual([
      [4403, 'the access token was revoked'],
      [4403, 'the access token was revoked'],
      null,
    ]);
    // Closed connections are forgotten: the next round asks only for the one left.
    asked.length = 0;
    await recheck.round();
    expect(asked).toEqual(['Bearer kept']);
    recheck.stop();
  });

  it('closes nothing while the token store does not answer, and decides on the next round', async () => {
    let down = true;
    const { gate } = gateAnswering(() => (down ? new Error('connect ECONNREFUSED 127.0.0.1:5432') : revoked));
    const recheck = new ConnectionRecheck(gate, silentLogger, 0);
    const socket = new FakeSocket();
    recheck.watch(socket as unknown as WebSocket, request, 'Bearer t');
    await recheck.round();
    expect(socket.closedWith).toBeNull();
    down = false;
    await recheck.round();
    expect(socket.closedWith).toEqual([4403, 'the access token was revoked']);
    recheck.stop();
  });
});
