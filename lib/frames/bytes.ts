/**
 * Frames as file bytes and back: Parquet (zstd, the format Python, DuckDB and Spark read) and CSV. File paths
 * and writes stay at the edge (`pipelines/`); this module only encodes and decodes.
 * @module
 */
import pl from "nodejs-polars";

/** File formats a frame can be written as. */
export const FRAME_FORMATS = ["parquet", "csv"] as const;
/** A file format. */
export type FrameFormat = typeof FRAME_FORMATS[number];

/** A frame encoded as a Parquet file (zstd) or a CSV file (header, `,`, ISO dates and UTC datetimes). */
export function frameToBytes(df: pl.DataFrame, format: FrameFormat): Uint8Array {
  const buf = format === "parquet" ? df.writeParquet({ compression: "zstd" }) : df.writeCSV();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** A Parquet file's bytes as a frame (CSV is written for other tools, not read back: it loses dtypes). */
export function frameFromParquet(bytes: Uint8Array): pl.DataFrame {
  return pl.readParquet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
