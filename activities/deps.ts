// What every activity factory is given: the worker's validated config, its logger, the secret
// store and the command runner. Tests build the same thing with their own config.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { CommandRunner } from './command.js';
import { SecretStore } from './secrets.js';

export interface ActivityDeps {
  config: Config;
  logger: Logger;
  secrets: SecretStore;
  commands: CommandRunner;
}

export function createActivityDeps(config: Config, logger: Logger, secrets = new SecretStore()): ActivityDeps {
  return { config, logger, secrets, commands: new CommandRunner(secrets, logger) };
}
