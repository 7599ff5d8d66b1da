// A real puppet service (wechaty-puppet-service) serving a mock puppet, for the WeChat integration test.
// Reads commands on stdin, prints one JSON line per event on stdout:
//   "<who> room <text>"   a member says text in the class room      -> {"event":"said", ...}
//   "<who> dm <text>"     a member says text to the bot privately
//   "<who> dup <text>"    says the same text twice at once (a redelivery with a new id)
// The bot's sends are printed as {"event":"bot-say","to":…,"text":…,"mentions":[…]} (and "bot-file").
import { PuppetServer } from 'wechaty-puppet-service'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import readline from 'node:readline'

const PORT = process.env.PORT || '8788'
const TOKEN = process.env.TOKEN || 'insecure_banzhu_test'
const out = (obj) => console.log(JSON.stringify(obj))

const aliases = {}

class TestPuppet extends PuppetMock {
  async roomMemberList (roomId) {
    return (await this.roomPayload(roomId)).memberIdList
  }
  async roomMemberRawPayload (roomId, contactId) {
    const c = await this.contactPayload(contactId)
    return { id: contactId, name: c.name, avatar: c.avatar, roomAlias: aliases[contactId] || '' }
  }
  async onStart () {
    await super.onStart()
    out({ event: 'client-started' })
    // A login before the client listens is not replayed to it: log in a moment after it connected.
    setTimeout(() => { if (!this.isLoggedIn) { mocker.login(bot); out({ event: 'login' }) } }, 500)
  }
  async messageSendText (conversationId, text, mentionIdList) {
    out({ event: 'bot-say', to: conversationId, text, mentions: mentionIdList || [] })
    return super.messageSendText(conversationId, text)
  }
  async messageSendFile (conversationId, file) {
    out({ event: 'bot-file', to: conversationId, name: file.name })
    return super.messageSendFile(conversationId, file)
  }
}

const mocker = new mock.Mocker()
const puppet = new TestPuppet({ mocker })
const server = new PuppetServer({ endpoint: `127.0.0.1:${PORT}`, puppet, token: TOKEN, tls: { disable: true } })

await puppet.start()
const bot = mocker.createContact({ id: 'wxid_banzhu', name: '班助' })
const teacher = mocker.createContact({ id: 'wxid_wang', name: '王老师' })
const names = ['张三', '李四', '王五']
const students = names.map((name, i) => mocker.createContact({ id: `wxid_s${i}`, name }))
students.forEach((s, i) => { aliases[s.id] = `${names[i]}-202411000${i + 1}` })
const impostor = mocker.createContact({ id: 'wxid_fake', name: '赵六' })
aliases[impostor.id] = '王老师' // renamed himself in the group
const room = mocker.createRoom({
  id: 'room1@chatroom',
  topic: '2024秋行政管理1班',
  memberIdList: [bot.id, teacher.id, ...students.map(s => s.id), impostor.id],
  ownerId: teacher.id,
})
await server.start()
out({ event: 'ready', port: PORT })

const who = { teacher, impostor, ...Object.fromEntries(students.map((s, i) => [`s${i}`, s])) }
const rl = readline.createInterface({ input: process.stdin })
rl.on('line', line => {
  const [w, where, ...rest] = line.split(' ')
  const text = rest.join(' ')
  const c = who[w]
  if (!c) return out({ event: 'error', line })
  const target = where === 'dm' ? bot : room
  c.say(text).to(target)
  if (where === 'dup') c.say(text).to(target)
  out({ event: 'said', who: w, where, text })
})
const stop = async () => { try { await server.stop(); await puppet.stop() } finally { process.exit(0) } }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
