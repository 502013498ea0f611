/**
 * The synthetic market's headline grammar: a planted sentiment in [-1, 1] becomes English headline text, and
 * the number itself is not published. Polarity picks the event list (positive above 0.2, negative below -0.2,
 * neutral between), the magnitude picks mild or strong wording (|s| > 0.6 strong), and an optional lead-in and
 * tail vary the surface form. Whatever reads the news (a text model, the lexicon) must recover the sentiment
 * from the words, as with real headlines.
 * @module
 */
import type { Rng } from "./_random.ts";

const EVENTS = {
  strongPositive: [
    "{S} posts record profit and raises full-year guidance",
    "{S} shares soar after blowout quarterly results",
    "{S} beats estimates by a wide margin and boosts its buyback",
    "{S} wins its largest contract ever, lifting its sales outlook",
    "Analysts upgrade {S} to strong buy on surging demand",
  ],
  positive: [
    "{S} beats earnings estimates",
    "{S} raises its dividend",
    "Analysts upgrade {S} to buy",
    "{S} wins a new supply contract",
    "{S} reports higher quarterly sales",
    "{S} announces a share buyback",
  ],
  neutral: [
    "{S} to present at an industry conference",
    "{S} schedules its annual meeting",
    "{S} names a new board member",
    "{S} sets the date of its quarterly report",
    "{S} moves its headquarters to a new office",
  ],
  negative: [
    "{S} misses earnings estimates",
    "{S} cuts its dividend",
    "Analysts downgrade {S} to sell",
    "{S} faces a regulatory probe",
    "{S} reports lower quarterly sales",
    "{S} loses a key customer",
  ],
  strongNegative: [
    "{S} swings to a loss and slashes full-year guidance",
    "{S} shares plunge after a profit warning",
    "{S} recalls its flagship product and withdraws its outlook",
    "{S} misses estimates badly as sales collapse",
    "Analysts downgrade {S} to strong sell amid fraud allegations",
  ],
} as const;

const LEADS = ["", "", "", "UPDATE: ", "Breaking: ", "Report: "];
const TAILS = ["", "", "", " - sources", " in a statement on Monday", " , company says"];

/** The event list a planted sentiment draws from. */
export function headlineTier(sentiment: number): keyof typeof EVENTS {
  if (sentiment > 0.6) return "strongPositive";
  if (sentiment > 0.2) return "positive";
  if (sentiment < -0.6) return "strongNegative";
  if (sentiment < -0.2) return "negative";
  return "neutral";
}

/** A headline for `symbol` expressing `sentiment` (three draws from `rng`). */
export function syntheticHeadline(sentiment: number, symbol: string, rng: Rng): string {
  const pool = EVENTS[headlineTier(sentiment)];
  const e = pool[Math.floor(rng.next() * pool.length)];
  const lead = LEADS[Math.floor(rng.next() * LEADS.length)];
  const tail = TAILS[Math.floor(rng.next() * TAILS.length)];
  return (lead + e + tail).replace("{S}", symbol);
}
