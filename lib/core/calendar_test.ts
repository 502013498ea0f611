import { deepEqual as assertEquals, ok as assert, throws as assertThrows } from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  barKnownAt,
  closeTime,
  dayOfWeek,
  holidays,
  isEarlyClose,
  isSession,
  nextSession,
  nyDate,
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
