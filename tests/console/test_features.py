"""The console's newer endpoints over real HTTP: live updates (SSE), customer panel, search,
ticket status with the push, supervisor-only dashboard and CSV, the learning loop, and
refusals as codes the page translates."""

from __future__ import annotations

import asyncio
from typing import Any

from support.console_app import ApiClient, console_running, next_event
from support.conversations import T0, action, pause, user

from console.settings import ConsoleSettings
from gopay_support.core.contact import ContactKind
from gopay_support.core.tickets.model import NewTicket

NOW = T0  # conversations of the tests are dated by the clock below


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 120))


def file_ticket(env: Any, sender: str) -> str:
    ticket, _ = env.services.tickets.create(
        NewTicket(
            category="topup",
            description="充值失败",
            contact="13812345678",
            contact_kind=ContactKind.PHONE,
            sender_id=sender,
            language="zh",
            channel="webchat",
        ),
        f"k-{sender}",
    )
    return ticket.tracking_number


def test_live_updates_are_pushed_for_changes_made_anywhere(tmp_path):
    async def scenario() -> None:
        async with console_running(tmp_path) as env:
            bob = await ApiClient(env).login("bob")
            stream = await bob.http.get(env.url + "/api/events")
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            first = await next_event(stream, "queue")
            assert first["queue"] == []
            # escalated by another process (the action server writes the same database)
            hid = env.enqueue("webchat:" + "a" * 32)
            pushed = await next_event(stream, "queue")
            [item] = pushed["queue"]
            assert item["id"] == hid and item["status"] == "waiting" and item["position"] == 1
            assert item["estimate_minutes"] >= 1 and item["handling_seconds"] is None
            assert (await bob.post(f"/api/handoffs/{hid}/claim"))[0] == 200
            claimed = await next_event(stream, "queue")
            assert claimed["queue"][0]["mine"] and claimed["queue"][0]["handling_seconds"] is not None
            assert await next_event(stream, "conversation") == {"id": hid}
            stream.close()
            await bob.close()

    run(scenario())


def test_waiting_time_stops_at_the_claim(tmp_path):
    async def scenario() -> None:
        async with console_running(tmp_path) as env:
            bob = await ApiClient(env).login("bob")
            hid = env.enqueue("webchat:" + "b" * 32)
            await asyncio.sleep(1.2)
            await bob.post(f"/api/handoffs/{hid}/claim")
            _, first = await bob.get(f"/api/handoffs/{hid}")
            await asyncio.sleep(1.2)
            _, later = await bob.get(f"/api/handoffs/{hid}")
            assert first["waiting_seconds"] == later["waiting_seconds"] >= 1
            assert later["handling_seconds"] >= 1
            await bob.close()

    run(scenario())


def test_customer_panel_search_and_ticket_status_with_push(tmp_path):
    sender = "webchat:" + "c" * 32
    conversations = {sender: [user("我的订单号 X123 退款没到账", "faq", T0, topic="faq/refund_failed")]}

    async def scenario() -> None:
        async with console_running(tmp_path, conversations) as env:
            number = file_ticket(env, sender)
            earlier = env.enqueue(sender, ticket=number)
            env.services.handoffs.claim(earlier, "alice")
            env.services.handoffs.resolve(earlier, "alice", "已处理")
            env.services.handoffs.rate(sender, 4)
            hid = env.enqueue(sender, ticket=number)
            bob = await ApiClient(env).login("bob")

            status, panel = await bob.get(f"/api/handoffs/{hid}/customer")
            assert status == 200 and panel["channel"] == "webchat" and panel["language"] == "zh"
            [ticket] = panel["tickets"]
            assert ticket["number"] == number and ticket["status"] == "open"
            assert "in_progress" in ticket["next"] and ticket["history"][0]["to"] == "open"
            assert [c["id"] for c in panel["conversations"]] == [earlier]
            assert panel["csat"] == {"ratings": [4], "average": 4.0}

            status, found = await bob.get("/api/search?q=" + number.lower())
            assert status == 200 and found["tickets"][0]["number"] == number
            assert {c["id"] for c in found["conversations"]} == {earlier, hid}
            status, found = await bob.get("/api/search?q=X123")  # text of a message (tracker store)
            assert {c["id"] for c in found["conversations"]} == {earlier, hid}
            assert found["conversations"][0]["snippet"] == "我的订单号 X123 退款没到账"
            status, short = await bob.get("/api/search?q=x")
            assert status == 400 and short["code"] == "query_too_short"

            path = f"/api/tickets/{number}/status"
            status, moved = await bob.post(path, {"status": "waiting_for_user", "note": "请补充截图"})
            assert status == 200 and moved["changed"] and moved["notified"]
            assert moved["ticket"]["history"][-1]["notified"]
            # The conversation waits for an agent (the bot is paused): the console tells the
            # customer itself, in the ticket's language.
            [(kind, to, [event], _query)] = env.rasa.calls
            assert kind == "events" and to == sender and event["event"] == "bot"
            assert event["text"] == f"您的工单 {number} 状态已更新：等待您的回复。"
            status, again = await bob.post(path, {"status": "waiting_for_user"})  # repeated: no change
            assert status == 200 and not again["changed"] and len(env.rasa.calls) == 1
            status, refused = await bob.post(path, {"status": "open"})
            assert status == 409 and refused["code"] == "bad_transition"
            assert refused["params"] == {"current": "waiting_for_user", "new": "open"}
            # Without an open handoff the bot announces it (EXTERNAL_ticket_update), as the CLI does.
            env.services.handoffs.claim(hid, "bob")
            env.services.handoffs.resolve(hid, "bob", "ok")
            assert (await bob.post(path, {"status": "in_progress"}))[0] == 200
            assert env.rasa.calls[-1][:3] == (
                "trigger",
                sender,
                {
                    "name": "EXTERNAL_ticket_update",
                    "entities": {
                        "ticket_id": number,
                        "gopay_outbox_key": env.rasa.calls[-1][2]["entities"]["gopay_outbox_key"],
                    },
                },
            )
            await bob.close()

    run(scenario())


def test_dashboard_is_for_supervisors_and_counts_the_conversations(tmp_path):
    conversations = {
        "webchat:1": [user("充值失败", "faq", T0 + 60, topic="faq/topup_failed", language="zh")],
        "telegram:2": [
            user("talk to a human", "human_handoff", T0 + 120, channel="telegram", language="en"),
            action("action_handoff", T0 + 121),
            pause(T0 + 121),
        ],
    }

    async def scenario() -> None:
        async with console_running(tmp_path, conversations) as env:
            bob = await ApiClient(env).login("bob")
            status, refused = await bob.get("/api/dashboard?from=2025-12-01&to=2025-12-01")
            assert status == 403 and refused["code"] == "supervisors_only"
            assert (await bob.get("/api/dashboard.csv"))[0] == 403
            _, me = await bob.get("/api/me")
            assert me["role"] == "agent"
            alice = await ApiClient(env).login("alice")
            _, me = await alice.get("/api/me")
            assert me["role"] == "supervisor" and me["colleagues"] == [{"name": "bob", "on_duty": True}]
            status, board = await alice.get("/api/dashboard?from=2025-12-01&to=2025-12-01")
            assert status == 200 and board["conversations"] == 2 and board["contained"] == 1
            assert board["handed_off"] == 1 and board["by_channel"] == {"telegram": 1, "webchat": 1}
            assert board["topics"]["faq/topup_failed"] == 1
            status, csv_text = await alice.get("/api/dashboard.csv?from=2025-12-01&to=2025-12-01")
            assert status == 200 and "2025-12-01,2,1,1" in csv_text
            status, bad = await alice.get("/api/dashboard?from=2025-12-05&to=2025-12-01")
            assert status == 400 and bad["code"] == "bad_range"
            await bob.close()
            await alice.close()

    run(scenario())


def test_learning_loop_lists_labels_and_exports_outside_the_heldout_set(tmp_path):
    conversations = {
        "webchat:1": [
            user("钱冲不进去咋回事", "nlu_fallback", T0, ranking=[("nlu_fallback", 0.45), ("faq", 0.3)]),
            user("gopay怎么注册啊", "nlu_fallback", T0 + 5),
        ]
    }
    (tmp_path / "heldout_a.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: faq/register\n  examples: |\n    - gopay怎么注册啊\n',
        encoding="utf-8",
    )

    async def scenario() -> None:
        async with console_running(tmp_path, conversations) as env:
            bob = await ApiClient(env).login("bob")
            status, listed = await bob.get("/api/reviews")
            by_text = {i["text"]: i["id"] for i in listed["items"]}
            assert status == 200 and set(by_text) == {"钱冲不进去咋回事", "gopay怎么注册啊"}
            assert any(label["key"] == "faq/topup_failed" for label in listed["labels"])
            first, second = by_text["钱冲不进去咋回事"], by_text["gopay怎么注册啊"]
            assert (await bob.post(f"/api/reviews/{first}/label", {"label": "faq/topup_failed"}))[0] == 200
            assert (await bob.post(f"/api/reviews/{first}/label", {"label": "faq/topup_failed"}))[0] == 200
            assert (await bob.post(f"/api/reviews/{second}/label", {"label": "faq/register"}))[0] == 200
            status, bad = await bob.post(f"/api/reviews/{first}/label", {"label": "nope"})
            assert status == 400 and bad["code"] == "bad_label"
            status, exported = await bob.post("/api/reviews/export")
            assert status == 200 and exported["examples"] == 1
            assert exported["heldout_left_out"] == ["gopay怎么注册啊"]
            content = (tmp_path / "reviewed.yml").read_text(encoding="utf-8")
            assert "- intent: faq/topup_failed" in content and "钱冲不进去咋回事" in content
            assert "gopay怎么注册啊" not in content
            _, listed = await bob.get("/api/reviews")  # scanning again adds nothing
            assert listed["items"] == [] and listed["counts"]["labelled"] == 2
            await bob.close()

    run(scenario())


def test_roles_come_from_agent_entries_or_the_supervisor_list():
    settings = ConsoleSettings.from_env(
        {
            "GOPAY_AGENTS": "ann:supervisor:scrypt$1$2,ben:scrypt$3$4,cy:agent:scrypt$5",
            "GOPAY_SUPERVISORS": "ben",
        }
    )
    assert dict(settings.agents) == {"ann": "scrypt$1$2", "ben": "scrypt$3$4", "cy": "scrypt$5"}
    assert settings.role("ann") == settings.role("ben") == "supervisor" and settings.role("cy") == "agent"


def test_bodies_of_the_ticket_and_review_routes_are_bounded_json(tmp_path) -> None:
    """The same bounded reading as every other console route: garbage is a 400, not a 500."""

    async def scenario() -> None:
        async with console_running(tmp_path) as env:
            alice = await ApiClient(env).login("alice")
            for path in ("/api/tickets/GP-AAAAAAAA/status", "/api/reviews/1/label"):
                for raw in (b"[" * 5000 + b"]" * 5000, b"{", b"NaN", b"\xff"):
                    reply = await alice.http.post(
                        env.url + path,
                        data=raw,
                        headers={"Content-Type": "application/json", "X-CSRF-Token": alice.csrf},
                    )
                    assert reply.status == 400, (path, raw[:10], reply.status)
                    assert (await reply.json())["code"] == "bad_request"
            await alice.close()

    run(scenario())
