/** Where things live inside the container and on the `main` volume. */
export const uiPort = 9999
export const dataMount = '/data'
export const configFile = 'config.json'
export const publicKeyFile = 'ssh/id_ed25519.pub'
