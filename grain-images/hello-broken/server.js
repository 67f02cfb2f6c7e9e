// Never listens: prints a recognisable line, then idles forever.
console.error('hello-broken: waiting for a database that will never come')
const idle = () => setTimeout(idle, 60_000)
idle()
