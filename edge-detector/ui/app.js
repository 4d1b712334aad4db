/* global document, window, EventSource */
// The page's entry: routes (#/ the fleet, #/machine/<id> one machine) and the event stream, which
// stays open across pages and feeds whichever view is showing.
import { FleetView } from './fleet.js'
import { MachineView } from './machine.js'

const main = document.getElementById('main')
const connection = document.getElementById('connection')

let fleet
let current
let opened = false

async function loadFleet () {
  const res = await fetch('api/fleet')
  if (!res.ok) throw new Error(`api/fleet answered ${res.status}`)
  return await res.json()
}

function openStream () {
  const stream = new EventSource('events')
  stream.onopen = () => {
    connection.textContent = 'live'
    // After a reconnection the stream resumes from now: the first view catches up with what was missed.
    if (opened) loadFleet().then((s) => fleet.load(s), showError)
    opened = true
  }
  stream.onerror = () => { connection.textContent = 'connection lost, reconnecting…' }
  stream.onmessage = (e) => {
    // The fleet keeps up while a machine's page shows, so that going back shows the present.
    fleet?.update(JSON.parse(e.data))
  }
}

function showError (err) {
  connection.textContent = `error: ${err.message}`
}

async function route () {
  current?.close?.()
  current = undefined
  const hash = window.location.hash
  const match = /^#\/machine\/(.+)$/.exec(hash)
  if (fleet === undefined) {
    fleet = new FleetView(await loadFleet())
  }
  main.replaceChildren()
  if (match !== null) {
    current = new MachineView(decodeURIComponent(match[1]))
    main.append(...current.elements)
    document.title = `${decodeURIComponent(match[1])} · factory-edge`
  } else {
    current = fleet
    main.append(...fleet.elements)
    fleet.layout()
    document.title = 'factory-edge · live view'
  }
  if (hash !== '' && hash !== '#/') main.focus()
}

window.addEventListener('hashchange', () => { route().catch(showError) })
route().then(openStream, showError)
