"""问题: the unanswered queue of the viewer's classes; answering posts in the class group exactly as /答复 does
(Questions.reply), then offers to add the answer as a Q&A pair or a 问法 line. 问答: the Q&A list, editable."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot.kernel.aliases import clean_name
from bot.questions import QuestionError
from bot.texts import questions as qtexts
from bot.texts import web as texts
from bot.web.base import Req, not_found, page

MAX_ANSWER = 1000


@page()
def queue(req: Req) -> Response:
    services = req.services
    items = services.questions.unanswered(req.person)
    web = services.web
    cids = {c.name: web.opaque("class", c.name) for c in services.config.groups.classes
            if c.name in req.person.classes}
    return req.render("questions.html", items=items, cids=cids)


@page()
def answer(req: Req) -> Response:
    services = req.services
    qid = int(req.param("qid"))
    text = req.field("answer")[:MAX_ANSWER]
    if not text:
        req.flash(texts.ANSWER_EMPTY)
        return req.redirect("/questions")
    try:
        done = services.questions.reply(req.person, qid, text, only_open=True)
    except QuestionError as exc:
        if exc.reason in ("not found", "not yours"):
            raise not_found() from None
        message = {"answered": texts.ANSWERED_ALREADY, "no room": qtexts.REPLY_NO_ROOM}[exc.reason]
        req.flash(message.format(**{"id": qid, **exc.detail}))
        return req.redirect("/questions")
    req.audit("/答复", f"{qid} {text}"[:200])
    return req.render("answered.html", question=done.question, where=done.where, answer=text,
                      message=texts.ANSWER_POSTED.format(where=done.where, student=clean_name(done.question.name)))


@page()
def close(req: Req) -> Response:
    qid = int(req.param("qid"))
    try:
        req.services.questions.close(req.person, qid)
    except QuestionError:
        raise not_found() from None
    req.audit("close question", str(qid))
    req.flash(texts.CLOSED.format(id=qid))
    return req.redirect("/questions")


@page()
def faq(req: Req) -> Response:
    handbook = req.services.handbook
    fixed, added = handbook.list_faq()
    return req.render("faq.html", fixed=fixed, added=added, phrasings=handbook.list_phrasings(),
                      edit=req.query("edit"))


@page()
def faq_add(req: Req) -> Response:
    question, answer_text = req.field("question")[:200], req.field("answer")[:MAX_ANSWER]
    if not question or not answer_text:
        req.flash(texts.FAQ_EMPTY)
        return req.redirect("/faq")
    entry = req.services.handbook.add_faq(question, answer_text, req.person.contact_id, req.now)
    req.audit("/问答 添加", f"{question} | {answer_text}"[:200])
    req.flash(texts.FAQ_ADDED.format(id=entry.id))
    return req.redirect("/faq")


@page()
def faq_save(req: Req) -> Response:
    entry_id = int(req.param("fid"))
    question, answer_text = req.field("question")[:200], req.field("answer")[:MAX_ANSWER]
    if not question or not answer_text:
        req.flash(texts.FAQ_EMPTY)
        return req.redirect(f"/faq?edit={entry_id}")
    if req.services.handbook.update_faq(entry_id, question, answer_text) is None:
        raise not_found()
    req.audit("/问答 修改", f"{entry_id} {question} | {answer_text}"[:200])
    req.flash(texts.FAQ_SAVED.format(id=entry_id))
    return req.redirect("/faq")


@page()
def faq_delete(req: Req) -> Response:
    entry_id = int(req.param("fid"))
    if not req.services.handbook.delete_faq(entry_id):
        raise not_found()
    req.audit("/问答 删除", str(entry_id))
    req.flash(texts.FAQ_DELETED.format(id=entry_id))
    return req.redirect("/faq")


@page()
def phrasing_add(req: Req) -> Response:
    word, means = req.field("word")[:20], req.field("means")[:60]
    if not word or not means:
        req.flash(texts.PHRASING_EMPTY)
        return req.redirect("/faq")
    req.services.handbook.add_phrasing(word, means, req.person.contact_id, req.now)
    req.audit("问法 添加", f"{word} -> {means}")
    req.flash(texts.PHRASING_ADDED.format(word=word, means=means))
    return req.redirect("/faq")


@page()
def phrasing_delete(req: Req) -> Response:
    word = req.field("word")
    if not req.services.handbook.delete_phrasing(word):
        raise not_found()
    req.audit("问法 删除", word)
    req.flash(texts.PHRASING_DELETED.format(word=word))
    return req.redirect("/faq")


routes = [Route("/questions", queue), Route("/questions/{qid:int}/answer", answer, methods=["POST"]),
          Route("/questions/{qid:int}/close", close, methods=["POST"]), Route("/faq", faq),
          Route("/faq/add", faq_add, methods=["POST"]), Route("/faq/{fid:int}/save", faq_save, methods=["POST"]),
          Route("/faq/{fid:int}/delete", faq_delete, methods=["POST"]),
          Route("/faq/phrasing", phrasing_add, methods=["POST"]),
          Route("/faq/phrasing/delete", phrasing_delete, methods=["POST"])]
