// The strict TOML table readers, kept in the contract so each backend's descriptor reads its own keys with them too.
export { bool, ConfigError, existingFile, int, optStr, resolvePath, str, strList, strMap, table, type Table } from '../contract/settings-reader.js';
