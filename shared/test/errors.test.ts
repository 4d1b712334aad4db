import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as ml from '../src/ml.js'
import * as runtime from '../src/runtime/index.js'
import { ConfigError, DataError, ExpressionError, FactoryEdgeError, FeatureSpecError, ForestInputError, ModelFileError, ProfileError } from '../src/errors.js'
import * as profiles from '../src/profiles/index.js'
import { ConfigError as ConfigErrorOfOptions } from '../src/runtime/config/options.js'
import { DataError as DataErrorOfData } from '../src/data/index.js'

test('every error class has a code and an exit code, 2 for configuration mistakes', () => {
  const cases: Array<[FactoryEdgeError, string, string, number]> = [
    [new ConfigError('x'), 'ConfigError', 'ERR_CONFIG', 2],
    [new FeatureSpecError('x'), 'FeatureSpecError', 'ERR_FEATURE_SPEC', 2],
    [new ProfileError('x'), 'ProfileError', 'ERR_PROFILE', 2],
    [new ExpressionError('x', 0), 'ExpressionError', 'ERR_EXPRESSION', 2],
    [new DataError('x'), 'DataError', 'ERR_DATA', 1],
    [new ModelFileError('x'), 'ModelFileError', 'ERR_MODEL_FILE', 1],
    [new ForestInputError('x'), 'ForestInputError', 'ERR_FOREST_INPUT', 1]
  ]
  for (const [err, name, code, exitCode] of cases) {
    assert.ok(err instanceof FactoryEdgeError, name)
    assert.ok(err instanceof Error, name)
    assert.equal(err.name, name)
    assert.equal(err.code, code)
    assert.equal(err.exitCode, exitCode)
    assert.equal(err.message, 'x')
  }
})

test('the subpaths that re-export an error class give the same class', () => {
  assert.equal(ConfigErrorOfOptions, ConfigError)
  assert.equal(DataErrorOfData, DataError)
  assert.equal(runtime.ConfigError, ConfigError)
  assert.equal(ml.ModelFileError, ModelFileError)
  assert.equal(ml.FeatureSpecError, FeatureSpecError)
  assert.equal(ml.ForestInputError, ForestInputError)
  assert.equal(profiles.ProfileError, ProfileError)
  assert.equal(profiles.ExpressionError, ExpressionError)
})
