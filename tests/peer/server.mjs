// A real puppet service (wechaty-puppet-service) serving a mock puppet, for the WeChat integration tests and the
// crash bench. The world (the bot account, contacts, rooms) comes from the JSON file named by SCENARIO, or is the
// default class group below. Reads commands on stdin, prints one JSON line per event on stdout.
//
// Commands, one per line:
//   {"cmd": "say", "who": "<contact id>", "to": "<room id>" | "dm", "text": "…", "twice": false}
//   {"cmd": "file", "who": "<contact id>", "to": "<room id>" | "dm", "name": "x.xlsx", "base64": "…"}
//   {"cmd": "friend", "who": "<contact id>", "hello": "…"}        a friend request to the bot
//   {"cmd": "join", "who": "<contact id>", "room": "<room id>"}   someone joins a room
//   {"cmd": "logout"}                                             the account is logged out
//   {"cmd": "relogin", "who": ["<contact id>", …]}                logged out and in again; these ids change
//   "<who> room|dm|dup <text>"  the legacy short form for the default world (teacher, impostor, s0, s1, s2)
// Events (each with "t", ms since the epoch): {"event":"bot-say","to":…,"text":…,"mentions":[…]}, "bot-file" (with
// "base64" when under 4 MB),
// "bot-read" (the client fetched a message: it has received it), "friend-accepted", "said", "ready".
import { PuppetServer } from 'wechaty-puppet-service'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { FileBox } from 'file-box'
import * as PUPPET from 'wechaty-puppet'
import readline from 'node:readline'
import fs from 'node:fs'

const PORT = process.env.PORT || '8788'
const TOKEN = process.env.TOKEN || 'insecure_banzhu_test'
const out = (obj) => console.log(JSON.stringify({ ...obj, t: Date.now() }))

const DEFAULT = {
  bot: { id: 'wxid_banzhu', name: '班助' },
  contacts: [
    { id: 'wxid_wang', name: '王老师', key: 'teacher' },
    { id: 'wxid_s0', name: '张三', alias: '张三-2024110001', key: 's0' },
    { id: 'wxid_s1', name: '李四', alias: '李四-2024110002', key: 's1' },
    { id: 'wxid_s2', name: '王五', alias: '王五-2024110003', key: 's2' },
    { id: 'wxid_fake', name: '赵六', alias: '王老师', key: 'impostor' }, // renamed himself in the group
  ],
  rooms: [{ id: 'room1@chatroom', topic: '2024秋行政管理1班', owner: 'wxid_wang',
            members: ['wxid_wang', 'wxid_s0', 'wxid_s1', 'wxid_s2', 'wxid_fake'] }],
}
const world = process.env.SCENARIO ? JSON.parse(fs.readFileSync(process.env.SCENARIO, 'utf8')) : DEFAULT

const aliases = {}
const friendships = {}

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
  async messageRawPayload (id) {
    const raw = await super.messageRawPayload(id)
    // The mock types any non-media file as Unknown; WeChat sends documents as attachments.
    const box = this.mocker.cacheFileBoxPayload.get(id)
    if (box && raw.type === PUPPET.types.Message.Unknown) raw.type = PUPPET.types.Message.Attachment
    // The client fetched the message: from here on, it has "received" it (the crash bench counts on this).
    if (raw.talkerId !== world.bot.id) {
      out({ event: 'bot-read', id, who: raw.talkerId, room: raw.roomId || null, text: raw.text })
    }
    return raw
  }
  async messageImage (id, imageType) {
    const json = this.mocker.cacheFileBoxPayload.get(id)  // the image that was sent, not the mock's QR code
    return json ? FileBox.fromJSON(json) : super.messageImage(id, imageType)
  }
  async messageSendText (conversationId, text, mentionIdList) {
    out({ event: 'bot-say', to: conversationId, text, mentions: mentionIdList || [] })
    return super.messageSendText(conversationId, text)
  }
  async messageSendFile (conversationId, file) {
    // Small files carry their bytes, so a test can open what the bot sent (a zip, an Excel file).
    const size = file.size > 0 ? file.size : undefined
    const base64 = (size === undefined || size < 4_000_000) ? await file.toBase64() : undefined
    out({ event: 'bot-file', to: conversationId, name: file.name, base64 })
    return super.messageSendFile(conversationId, file)
  }
  async friendshipRawPayload (id) { return friendships[id] }
  async friendshipRawPayloadParser (raw) { return raw }
  async friendshipAccept (id) {
    const f = friendships[id]
    out({ event: 'friend-accepted', who: f.contactId })
    f.type = PUPPET.types.Friendship.Confirm
    this.emit('friendship', { friendshipId: id })
  }
}

const mocker = new mock.Mocker()
const puppet = new TestPuppet({ mocker })
const server = new PuppetServer({ endpoint: `127.0.0.1:${PORT}`, puppet, token: TOKEN, tls: { disable: true } })

await puppet.start()
const bot = mocker.createContact({ id: world.bot.id, name: world.bot.name })
const contacts = {}
const keys = {}
for (const c of world.contacts) {
  contacts[c.id] = mocker.createContact({ id: c.id, name: c.name, friend: c.friend !== false })
  if (c.alias) aliases[c.id] = c.alias
  if (c.key) keys[c.key] = c.id
}
const rooms = {}
for (const r of world.rooms) {
  rooms[r.id] = mocker.createRoom({ id: r.id, topic: r.topic, memberIdList: [bot.id, ...r.members],
                                    ownerId: r.owner || r.members[0] })
}
await server.start()
out({ event: 'ready', port: PORT })

let seq = 0
const target = (to) => to === 'dm' ? bot : rooms[to]

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', async line => {
  try {
    let cmd
    if (line.trim().startsWith('{')) {
      cmd = JSON.parse(line)
    } else { // legacy: "<key> room|dm|dup <text>" in the default world
      const [w, where, ...rest] = line.split(' ')
      cmd = { cmd: 'say', who: keys[w] || w, to: where === 'dm' ? 'dm' : world.rooms[0].id,
              text: rest.join(' '), twice: where === 'dup' }
    }
    const c = contacts[cmd.who]
    if (cmd.cmd === 'say') {
      if (!c) return out({ event: 'error', line })
      c.say(cmd.text).to(target(cmd.to))
      if (cmd.twice) c.say(cmd.text).to(target(cmd.to))
      out({ event: 'said', who: cmd.who, to: cmd.to, text: cmd.text })
    } else if (cmd.cmd === 'file') {
      const box = FileBox.fromBase64(cmd.base64, cmd.name)
      c.say(box).to(target(cmd.to))
      out({ event: 'sent-file', who: cmd.who, to: cmd.to, name: cmd.name })
    } else if (cmd.cmd === 'friend') {
      const id = `friendship-${++seq}`
      friendships[id] = { id, contactId: cmd.who, hello: cmd.hello || '', type: PUPPET.types.Friendship.Receive,
                          timestamp: Math.floor(Date.now() / 1000) }
      puppet.emit('friendship', { friendshipId: id })
      out({ event: 'friend-request', who: cmd.who, id })
    } else if (cmd.cmd === 'join') {
      const room = rooms[cmd.room]
      const payload = await puppet.roomPayload(cmd.room)
      payload.memberIdList.push(cmd.who)
      puppet.emit('room-join', { roomId: cmd.room, inviteeIdList: [cmd.who], inviterId: payload.ownerId,
                                 timestamp: Math.floor(Date.now() / 1000) })
      out({ event: 'joined', who: cmd.who, room: room ? cmd.room : null })
    } else if (cmd.cmd === 'logout') {
      await mocker.logout?.() ?? puppet.logout()
      out({ event: 'logged-out' })
    } else if (cmd.cmd === 'relogin') {
      // The account logs in again and these contacts come back with new ids (same name, same 群昵称).
      await puppet.logout()
      out({ event: 'logged-out' })
      const renamed = {}
      for (const old of cmd.who) {
        const fresh = old + (cmd.suffix || '_v2')
        const c = await puppet.contactPayload(old)
        contacts[fresh] = mocker.createContact({ id: fresh, name: c.name, friend: true })
        if (aliases[old]) aliases[fresh] = aliases[old]
        renamed[old] = fresh
      }
      for (const id of Object.keys(rooms)) {
        const payload = await puppet.roomPayload(id)
        payload.memberIdList.splice(0, payload.memberIdList.length,
          ...payload.memberIdList.map(m => renamed[m] || m))
      }
      setTimeout(() => { mocker.login(bot); out({ event: 'login' }) }, 1500)
      out({ event: 'relogged', renamed })
    }
  } catch (e) {
    out({ event: 'error', line, message: String(e) })
  }
})
const stop = async () => { try { await server.stop(); await puppet.stop() } finally { process.exit(0) } }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
