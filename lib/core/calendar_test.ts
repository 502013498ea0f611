import { deepEqual as assertEquals, ok as assert, throws as assertThrows } from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  addDays,
  barKnownAt,
  closeTime,
  dayOfWeek,
  holidays,
  isEarlyClose,
  isSession,
  nextSession,
  nyDate,
  nyTime,
  prevSession,
  publicationDelay,
  sessionForKnownAt,
  sessions,
} from "./calendar.ts";

const CAL_DIR = new URL("../../../shared/data/gspc-1927-2023-and-nyse-calendar/", import.meta.url);

Deno.test("sessions match the NYSE open-date list 1990-2023", () => {
  const open = readFileSync(new URL("all_open_dates.txt", CAL_DIR), "utf8").split(/\s+/).filter((d) =>
    d >= "1990-01-01" && d <= "2023-12-28"
  ).map((d) => d.slice(0, 10));
  const ours = sessions("1990-01-01", "2023-12-28");
  const theirs = new Set(open);
  const missing = ours.filter((d) => !theirs.has(d));
  const extra = open.filter((d) => !isSession(d));
  assertEquals({ missing, extra }, { missing: [], extra: [] });
});

Deno.test("holidays and early closes of 2019 and 2024", () => {
  assert(holidays(2019).has("2019-01-21")); // MLK
  assert(holidays(2019).has("2019-04-19")); // Good Friday
  assert(!isSession("2022-06-20")); // Juneteenth observed
  assert(isSession("2021-12-31")); // New Year on Saturday: no Friday holiday
  assert(isEarlyClose("2019-07-03") && isEarlyClose("2019-11-29") && isEarlyClose("2019-12-24"));
  assert(!isEarlyClose("2019-07-05"));
  assertEquals(dayOfWeek("2024-11-23"), 6);
  // before 1970 too (the day number is negative): 1969-12-27 was a Saturday, 1929-10-29 a Tuesday
  assertEquals(dayOfWeek("1969-12-27"), 6);
  assertEquals(dayOfWeek("1929-10-29"), 2);
  assert(!isSession("1965-09-18") && isSession("1965-09-17"));
});

Deno.test("close instant is 16:00 New York across DST, 13:00 on early closes", () => {
  assertEquals(new Date(closeTime("2024-01-05")).toISOString(), "2024-01-05T21:00:00.000Z");
  assertEquals(new Date(closeTime("2024-07-05")).toISOString(), "2024-07-05T20:00:00.000Z");
  assertEquals(new Date(closeTime("2019-11-29")).toISOString(), "2019-11-29T18:00:00.000Z");
});

Deno.test("nyTime on the nights the clocks change: before the change, skipped and repeated times", () => {
  const iso = (t: number) => new Date(t).toISOString();
  // 2020-03-08: 02:00 EST -> 03:00 EDT
  assertEquals(iso(nyTime("2020-03-08", 1, 30)), "2020-03-08T06:30:00.000Z");
  assertEquals(iso(nyTime("2020-03-08", 2, 30)), "2020-03-08T07:30:00.000Z"); // skipped: read as 03:30 EDT
  assertEquals(iso(nyTime("2020-03-08", 3, 0)), "2020-03-08T07:00:00.000Z");
  // 2020-11-01: 02:00 EDT -> 01:00 EST
  assertEquals(iso(nyTime("2020-11-01", 0, 30)), "2020-11-01T04:30:00.000Z");
  assertEquals(iso(nyTime("2020-11-01", 1, 30)), "2020-11-01T05:30:00.000Z"); // repeated: the first (EDT)
  assertEquals(iso(nyTime("2020-11-01", 2, 0)), "2020-11-01T07:00:00.000Z");
  // every existing quarter hour of those Sundays 2000-2030 reads back as itself in New York time
  // an independent reading: the Swedish locale writes `YYYY-MM-DD HH:MM:SS` (one formatter: creating one per
  // call costs 10x)
  const sv = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "America/New_York",
    dateStyle: "short",
    timeStyle: "short",
  });
  const ny = (t: number) => sv.format(t);
  let checked = 0;
  for (let d = "2000-01-01"; d < "2031-01-01"; d = addDays(d, 1)) {
    // the clocks change on Sundays of March/April and October/November (the rule moved in 2007)
    if (dayOfWeek(d) !== 0 || ![3, 4, 10, 11].includes(+d.slice(5, 7))) continue;
    for (let m = 0; m < 24 * 60; m += 15) {
      const [hh, mm] = [Math.floor(m / 60), m % 60];
      const back = ny(nyTime(d, hh, mm));
      const want = `${d} ${String(hh).padStart(2, "0")}:${String(mm).padStart(2, "0")}`;
      if (back !== want) {
        // only a skipped time may differ, by exactly one hour later
        assertEquals(nyTime(d, hh, mm), nyTime(d, hh + 1, mm), `${want} read back as ${back}`);
        assert(hh === 2, `${want} read back as ${back}`);
      }
      checked++;
    }
  }
  assert(checked > 50_000);
});

Deno.test("news after the close belongs to the next session", () => {
  const before = Date.parse("2024-01-05T20:59:00Z"), after = Date.parse("2024-01-05T21:01:00Z");
  assertEquals(sessionForKnownAt(before), "2024-01-05");
  assertEquals(sessionForKnownAt(after), "2024-01-08");
  assertEquals(sessionForKnownAt(Date.parse("2024-01-06T15:00:00Z")), "2024-01-08");
  assertEquals(nyDate(Date.parse("2024-01-06T03:00:00Z")), "2024-01-05");
  assertEquals(nextSession("2024-01-05"), "2024-01-08");
  assertEquals(prevSession("2024-01-08"), "2024-01-05");
});

Deno.test("bad dates and empty ranges are RangeErrors", () => {
  assertThrows(() => sessions("2024-02-01", "2024-01-01"), RangeError);
  assertThrows(() => isSession("2024-02-30"), RangeError);
  assertThrows(() => isSession("yesterday"), RangeError);
});

Deno.test("publicationDelay: the volatility indexes settle 15 minutes after the close, the rest at it", () => {
  const ms = ["SPY", "^VIX", "^GSPC", "^vxn", "QQQ"].map(publicationDelay);
  assertEquals(ms, [0, 15 * 60_000, 0, 15 * 60_000, 0]);
  assertEquals(barKnownAt("^VIX", "2018-01-02") - barKnownAt("AAPL", "2018-01-02"), 15 * 60_000);
});

Deno.test("early closes 1993-2026 are exactly exchange_calendars' XNYS list (the 1996 and 2002 ones on July 5)", async () => {
  const listed = (await Deno.readTextFile(new URL("./testdata/xnys_early_closes.txt", import.meta.url)))
    .split("\n").filter((l) => l && !l.startsWith("#"));
  assertEquals(listed.length, 75);
  assertEquals(sessions("1993-01-01", "2026-12-31").filter(isEarlyClose), listed);
  assert(isEarlyClose("2002-07-05") && !isEarlyClose("2002-07-03"));
  assertEquals(closeTime("2002-07-05"), nyTime("2002-07-05", 13));
});
