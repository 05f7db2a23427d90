// A bounded run of one test script: parses `--name=value` arguments, keeps what the script observed, bounds every
// wait with a timeout and the whole run with a hard deadline, and ends with one JSON line on standard output
// (exit 0) or the reason on standard error together with what was observed so far (exit 1).
//
// Lines printed before the result are progress reports, `{"progress":"<name>", ...}`, which the .NET test may wait
// for to act on the server (stop it, start another, post a push) while the script waits for the consequence.

export const STEP_TIMEOUT_MS = 5_000;

export function startRun(name, { overallTimeoutMs = 20_000 } = {}) {
  const args = parseArgs(process.argv.slice(2));
  const observed = {};
  let finished = false;

  const fail = (reason) => {
    if (finished) {
      return;
    }
    finished = true;
    process.stderr.write(`${name}: FAILED: ${reason}\n`);
    process.stderr.write(`${name}: observed so far: ${safeStringify(observed)}\n`);
    process.exit(1);
  };

  const overallTimer = setTimeout(() => fail(`no result within ${overallTimeoutMs} ms`), overallTimeoutMs);
  process.on("unhandledRejection", (error) => fail(`unhandled rejection: ${error?.stack ?? error}`));
  process.on("uncaughtException", (error) => fail(`uncaught exception: ${error?.stack ?? error}`));

  return {
    args,
    observed,
    fail,

    /** The argument `--key=value`; fails the run when it is missing and has no default. */
    arg(key, fallback) {
      const value = args[key] ?? fallback;
      if (value === undefined) {
        fail(`missing argument --${key}=...`);
      }
      return value;
    },

    /** Resolves with the value `start` hands to its callback, or fails the run after `timeoutMs`. */
    step(stepName, start, timeoutMs = STEP_TIMEOUT_MS) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => fail(`${stepName}: nothing within ${timeoutMs} ms`), timeoutMs);
        const done = (value) => {
          clearTimeout(timer);
          resolve(value);
        };
        try {
          start(done);
        } catch (error) {
          fail(`${stepName}: ${error?.stack ?? error}`);
        }
      });
    },

    /** Resolves once `condition()` holds (checked every 5 ms), or fails the run after `timeoutMs`. */
    until(stepName, condition, timeoutMs = STEP_TIMEOUT_MS) {
      return this.step(stepName, (done) => {
        const check = () => (condition() ? done() : setTimeout(check, 5));
        check();
      }, timeoutMs);
    },

    /** Awaits a promise, failing the run if it rejects or does not settle within `timeoutMs`. */
    within(stepName, promise, timeoutMs = STEP_TIMEOUT_MS) {
      return this.step(stepName, (done) => {
        promise.then(done, (error) => fail(`${stepName}: rejected with ${error?.stack ?? safeStringify(error)}`));
      }, timeoutMs);
    },

    /** Waits `ms` on purpose: only to let something that must NOT happen have its chance (a close, a retry). */
    pause(ms) {
      return new Promise((resolve) => setTimeout(resolve, ms));
    },

    /** Fails the run unless `condition` holds. */
    check(condition, message) {
      if (!condition) {
        fail(message);
      }
    },

    progress(progressName, details = {}) {
      process.stdout.write(`${JSON.stringify({ progress: progressName, ...details })}\n`);
    },

    finish() {
      if (finished) {
        return;
      }
      finished = true;
      clearTimeout(overallTimer);
      process.stdout.write(`${safeStringify(observed)}\n`);
      process.exit(0);
    },
  };
}

function parseArgs(argv) {
  const args = {};
  for (const argument of argv) {
    const match = /^--([^=]+)=(.*)$/s.exec(argument);
    if (match) {
      args[match[1]] = match[2];
    }
  }
  return args;
}

function safeStringify(value) {
  try {
    return JSON.stringify(value);
  } catch (error) {
    return `<not serializable: ${error}>`;
  }
}
