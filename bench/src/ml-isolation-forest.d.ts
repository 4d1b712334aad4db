/** The baseline engine in forest.bench.ts (ml-isolation-forest 0.1.0 ships no types). */
declare module 'ml-isolation-forest' {
  export class IsolationForest {
    constructor (options?: { nEstimators?: number })
    train (trainingSet: number[][]): void
    predict (data: number[][]): number[]
  }
}
