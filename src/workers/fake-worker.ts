// A fake worker for Node tests of the code that supervises workers (worker-supervisor.test.ts,
// ui/model-client.test.ts): the API is served in-process by Comlink over a MessageChannel, every
// call is recorded, any method can be made to misbehave (`behave`), and the test can make the
// worker crash (an `error` event) or post a message of its own. Test-only: nothing in the app imports it.
import * as Comlink from 'comlink';

type Method = (...args: never[]) => unknown;

export class FakeWorker<Api extends object> extends EventTarget {
  readonly calls: { method: keyof Api & string; args: unknown[] }[] = [];
  terminated = false;
  /** Per-method overrides of the defaults, e.g. a render that never answers. */
  readonly behave: Partial<Record<keyof Api, Method>> = {};
  private readonly port: MessagePort;

  /** `defaults`: every method of the API, given this worker (its `id` tells workers apart). */
  constructor(
    readonly id: number,
    defaults: (worker: FakeWorker<Api>) => Record<keyof Api & string, Method>,
  ) {
    super();
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    port1.addEventListener('message', (e) => this.post((e as MessageEvent).data));
    port1.start();
    const served: Record<string, unknown> = {};
    for (const [method, fallback] of Object.entries(defaults(this)) as [keyof Api & string, Method][]) {
      served[method] = (...args: unknown[]) => {
        this.calls.push({ method, args });
        return ((this.behave[method] ?? fallback) as (...a: unknown[]) => unknown)(...args);
      };
    }
    Comlink.expose(served, port2);
  }

  postMessage(message: unknown, transfer: Transferable[] = []): void {
    if (!this.terminated) this.port.postMessage(message, transfer);
  }

  terminate(): void {
    this.terminated = true;
    this.port.close();
  }

  /** An uncaught error in the worker (a Worker's `error` event). */
  crash(message = 'boom'): void {
    const event = new Event('error', { cancelable: true });
    Object.assign(event, { message });
    this.dispatchEvent(event);
  }

  /** A message from the worker, as if it posted it itself. */
  post(data: unknown): void {
    this.dispatchEvent(new MessageEvent('message', { data }));
  }

  count(method: keyof Api & string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  /** The methods called so far, in order, without the heartbeat's pings. */
  methods(): string[] {
    return this.calls.map((c) => c.method).filter((m) => m !== 'ping');
  }
}
