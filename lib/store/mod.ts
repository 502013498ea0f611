/**
 * Stores: tables, documents, objects; embedded defaults and server backends.
 * Server drivers (MySQL, MongoDB, S3) are not re-exported as values: `openStores` loads them on demand, so
 * importing this module never loads a driver.
 * @module
 */
export * from "./types.ts";
export * from "./schema.ts";
export * from "./keys.ts";
export { openSqliteTables, SqliteTables, type SqliteTablesOptions } from "./sqlite_tables.ts";
export { isUnknownTable } from "./_validate.ts";
export { openSqliteDocuments, SqliteDocuments } from "./sqlite_documents.ts";
export { LocalObjects, type LocalObjectsOptions, type LockWait, openLocalObjects } from "./local_objects.ts";
export { EMBEDDED_DB_FILE, EMBEDDED_OBJECTS_DIR, openEmbeddedStores } from "./embedded.ts";
export {
  checkEndpoint,
  checkPort,
  checkS3Prefix,
  type DocumentsConfig,
  embeddedConfig,
  isMongoDatabaseName,
  isMongoUri,
  isS3BucketName,
  mySqlConfigFromUrl,
  type ObjectsConfig,
  openDocumentStore,
  openObjectStore,
  openStores,
  type OpenStoresOptions,
  openTableStore,
  redactUrl,
  S3_BUCKET_NAME_RULE,
  secretsOf,
  splitUrl,
  STORE_PARTS,
  type StoreConfig,
  type StorePart,
  type TablesConfig,
  type UrlParts,
} from "./config.ts";
export type { MySqlConfig } from "./mysql.ts";
export type { MongoConfig } from "./mongodb.ts";
export type { S3Config } from "./s3.ts";
