import { equal } from "node:assert/strict";
import { programStderr } from "./_test_process.ts";

Deno.test("programStderr drops Deno's node_modules lock notice (coloured or not) and keeps the program's lines", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  equal(
    programStderr(enc(
      "\x1b[0m\x1b[36mBlocking\x1b[0m waiting for file lock on node_modules directory\nerror: --what: unknown\n",
    )),
    "error: --what: unknown",
  );
  equal(programStderr(enc("Blocking waiting for file lock on node_modules directory\n")), "");
  equal(programStderr(enc("a\nnot Blocking waiting here\n")), "a\nnot Blocking waiting here");
});
