import { deepEqual, equal } from "node:assert/strict";
import { parseEnvFile, shq } from "./_services_common.ts";

Deno.test("services env file: values round-trip through shell quoting", () => {
  const values = {
    A: "plain",
    B: 'it\'s a "test" $HOME `x`',
    C: "",
    D: "mysql://fmai:p%40ss@127.0.0.1:3307/fmai",
  };
  const text = "# comment\n" + Object.entries(values).map(([k, v]) => `export ${k}=${shq(v)}`).join("\n") +
    "\n";
  deepEqual(parseEnvFile(text), values);
});

Deno.test("services env file: a shell reads what parseEnvFile reads", async () => {
  const v = 'a\'b "c" $d';
  const out = await new Deno.Command("sh", { args: ["-c", `export X=${shq(v)}; printf %s "$X"`] }).output();
  equal(new TextDecoder().decode(out.stdout), v);
  equal(parseEnvFile(`export X=${shq(v)}`).X, v);
});
