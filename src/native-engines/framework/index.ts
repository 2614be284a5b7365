/** The engine framework's public surface: declare engines as data, mount and describe them. */

export { describeEngine } from './describe.js';
export { engineKit, noBody, noQuery } from './engine-kit.js';
export type { EngineKit } from './engine-kit.js';
export { instantiateEngine, resolveOperation } from './instantiate.js';
export type {
  BoundPath,
  EngineDefinition,
  EngineDeps,
  EngineOperationDescriptor,
  EngineSpec,
  HandlerContext,
  MountContext,
  OperationDescription,
  OperationInput,
  OperationSpec,
  PathContext,
  PathDescription,
  PathHelp,
  PathSpec,
  SetupContext,
} from './types.js';
export { createKeyedMutex } from './keyed-mutex.js';
export type { KeyedMutex } from './keyed-mutex.js';
export { decodeJson, encodeJson, loadJson, saveJson } from './stored-json.js';
