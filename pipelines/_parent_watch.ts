/**
 * Folder-private: the watchdog of `exitWithParent` (`_cli_error.ts`), run as a Worker so that it keeps
 * watching while the main thread is busy with long synchronous work. It is told the parent's pid and ends the
 * whole process (SIGTERM to itself) once `/proc/self/stat` names another parent.
 * @module
 */

function parentPid(): number | null {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'
    const n = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}

globalThis.addEventListener("message", (e: Event) => {
  const { ppid, everyMs } = (e as MessageEvent<{ ppid: number; everyMs: number }>).data;
  setInterval(() => {
    const now = parentPid();
    if (now !== null && now !== ppid) {
      console.error(`error: parent process ${ppid} ended; stopping`);
      Deno.kill(Deno.pid, "SIGTERM");
    }
  }, everyMs);
});
