import {
  ApiError,
  GiveUpError,
  NetworkError,
  NodeDownError,
  PrefixError,
  ShortPrefixError,
  StreamError,
} from '../../api';

/** An error the CLI reports as one message plus an exit code (1 runtime, 2 usage). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usage = (message: string): CliError => new CliError(message, 2);

/** Says what went wrong and what to do next, for every error the client raises. */
export const describe = (err: unknown, address: string): CliError => {
  if (err instanceof CliError) return err;
  if (err instanceof ShortPrefixError) return usage(err.message);
  if (err instanceof NetworkError) {
    if (err.via === 'node')
      return new CliError(
        `${err.message}\nthe node's agent is not reachable from here; try --direct auto or --direct never to go through the gateway`,
        1,
      );
    return new CliError(
      `${err.message}\nis the gateway running at ${address}? set --address or FLEETGATE_ADDR`,
      1,
    );
  }
  if (err instanceof ApiError) return new CliError(apiHint(err), 1);
  if (err instanceof NodeDownError)
    return new CliError(
      `${err.message}\ncheck the agent on that node; "fleetgate node status" shows every node's status`,
      1,
    );
  if (err instanceof PrefixError && err.candidates.length === 0) {
    return new CliError(
      `${err.message}\ncheck the ID, or your token may not allow reading it: set --token or FLEETGATE_TOKEN`,
      1,
    );
  }
  if (err instanceof PrefixError || err instanceof StreamError) return new CliError(err.message, 1);
  if (err instanceof GiveUpError)
    return new CliError(
      `${err.message}\nthe stream stayed down; check "fleetgate node status" and the gateway, or raise --give-up`,
      1,
    );
  if (err instanceof SyntaxError)
    return new CliError(`unexpected reply (not JSON): ${err.message}; is ${address} a fleetgate gateway?`, 1);
  return new CliError(err instanceof Error ? err.message : String(err), 1);
};

const apiHint = (err: ApiError): string => {
  const body = err.body.trim() || `HTTP ${err.status}`;
  const from = err.via === 'node' ? 'node agent' : 'gateway';
  const head = `${body} (${err.status} from the ${from})`;
  if (err.status === 403)
    return `${head}\nuse a token whose policy allows this: set --token or FLEETGATE_TOKEN`;
  if (err.status === 401) return `${head}\nset --token or FLEETGATE_TOKEN`;
  if (/^Unknown allocation|^alloc not found/.test(body))
    return `${head}\nlist allocations with: fleetgate operator api /v1/allocations`;
  if (/^Unknown node/.test(body)) return `${head}\nlist nodes with: fleetgate node status`;
  if (/^No path to node/.test(body))
    return `${head}\nthe gateway cannot reach that node's agent; check "fleetgate node status"`;
  if (/ACL support disabled/.test(body)) return `${head}\nstart the gateway with --acl --acl-key FILE`;
  if (/not eligible for GC/.test(body))
    return `${head}\nonly stopped allocations can be collected: fleetgate alloc stop <alloc> first`;
  return head;
};
