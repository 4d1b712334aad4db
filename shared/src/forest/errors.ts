/** Thrown for input the forest cannot learn from or score, and for forest arrays that are inconsistent. */
export class ForestInputError extends Error {
  override name = 'ForestInputError'
}
