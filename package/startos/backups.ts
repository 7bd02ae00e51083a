import { sdk } from './sdk'

/** The whole data volume: config, the SSH key pair, catalog overrides, redaction maps, connectivity log. */
export const { createBackup, restoreInit } = sdk.setupBackups(async () => sdk.Backups.ofVolumes('main'))
