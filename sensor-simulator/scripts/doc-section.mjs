import { readFileSync, writeFileSync } from 'node:fs'

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in a Markdown file. */
export function writeDocSection (path, name, text) {
  const doc = readFileSync(path, 'utf8')
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const a = doc.indexOf(start)
  const b = doc.indexOf(end)
  if (a === -1 || b === -1) throw new Error(`${path} has no ${start} … ${end} section`)
  writeFileSync(path, doc.slice(0, a + start.length) + '\n' + text + '\n' + doc.slice(b))
  process.stdout.write(`updated the ${name} section of ${path}\n`)
}
