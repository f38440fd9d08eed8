"""积分超市: redeeming (stock, monthly limit, balance, double taps), fulfilling, cancelling."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest
from PIL import Image

from lib.core.clock import pretend
from lib.core.db import scalar
from lib.core.errors import (
    InsufficientPoints, InvalidTransition, NotFound, PermissionDenied, PhotoRejected,
    ValidationError,
)
from lib.points import ledger
from lib.shop import catalogue, codes, redeem
from lib.shop.redeem import CANCELLED, FULFILLED, WAITING, LimitReached, OutOfStock


@pytest.fixture
def cast(make_user):
    return {role: make_user(role) for role in ("resident", "leader", "staff", "admin")}


@pytest.fixture
def rice(db, cast):
    return catalogue.add_item(db, cast["admin"], name="大米 5kg", price=20, stock=5,
                              monthly_limit=2, description="东北大米")


def give(db, user, amount, key="seed"):
    ledger.award(db, None, user_id=user.id, amount=amount, kind=ledger.KIND_REPORT,
                 reason="随手拍已受理", key=f"{key}:{user.id}")


def state(db, user, item):
    """What must not move on a refusal: balance, stock, redemptions, ledger lines."""
    return (ledger.balance(db, user.id), catalogue.get(db, item.id).stock,
            scalar(db, "SELECT COUNT(*) FROM shop_redemptions"),
            scalar(db, "SELECT COUNT(*) FROM points_ledger"))


# --- redeeming -------------------------------------------------------------------------------

def test_a_redemption_takes_points_and_stock_together_and_gives_a_code(db, cast, rice):
    alice = cast["resident"]
    give(db, alice, 50)
    made = redeem.redeem(db, alice, item_id=rice.id, key="tap-1")
    assert (made.status, made.quantity, made.points, made.user_id) == (WAITING, 1, 20, alice.id)
    assert len(made.pickup_code) == 6 and set(made.pickup_code) <= set(codes.CODE_ALPHABET)
    assert made.proxy_by is None and made.status_label == "待领取" and made.is_waiting
    assert ledger.balance(db, alice.id) == 30
    assert catalogue.get(db, rice.id).stock == 4
    spend = ledger.history(db, alice.id)[0]
    assert (spend.amount, spend.kind, spend.idempotency_key) == (-20, "redeem", f"shop:{made.id}")
    assert spend.reason == "积分超市兑换 大米 5kg × 1" and spend.actor_id == alice.id
    assert made.month == redeem.current_month()
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-2:] == ["points.spend", "shop.redeem"]


def test_two_units_cost_twice_the_price(db, cast, rice):
    give(db, cast["resident"], 50)
    made = redeem.redeem(db, cast["resident"], item_id=rice.id, quantity=2, key="k")
    assert made.points == 40 and ledger.balance(db, cast["resident"].id) == 10
    assert catalogue.get(db, rice.id).stock == 3


def test_a_double_tap_redeems_once(db, cast, rice):
    alice = cast["resident"]
    give(db, alice, 50)
    first = redeem.redeem(db, alice, item_id=rice.id, key="same")
    again = redeem.redeem(db, alice, item_id=rice.id, key="same")
    assert again == first
    assert state(db, alice, rice)[:3] == (30, 4, 1)


def test_a_key_reused_for_another_item_is_refused(db, cast, rice):
    alice = cast["resident"]
    give(db, alice, 100)
    oil = catalogue.add_item(db, cast["admin"], name="食用油", price=10, stock=5)
    redeem.redeem(db, alice, item_id=rice.id, key="same")
    before = state(db, alice, oil)
    with pytest.raises(ValidationError) as caught:
        redeem.redeem(db, alice, item_id=oil.id, key="same")
    assert caught.value.fields == {"key": "该操作编号已用于另一次兑换，请刷新页面后重试。"}
    assert state(db, alice, oil) == before


def test_past_the_balance_is_refused_in_chinese_and_nothing_changes(db, cast, rice):
    alice = cast["resident"]
    give(db, alice, 15)
    before = state(db, alice, rice)
    with pytest.raises(InsufficientPoints) as caught:
        redeem.redeem(db, alice, item_id=rice.id, key="k")
    assert str(caught.value) == "积分不足：兑换需要 20 积分，您现有 15 积分。"
    assert state(db, alice, rice) == before


def test_exactly_the_balance_is_enough(db, cast, rice):
    give(db, cast["resident"], 20)
    redeem.redeem(db, cast["resident"], item_id=rice.id, key="k")
    assert ledger.balance(db, cast["resident"].id) == 0


def test_past_the_stock_is_refused_and_nothing_changes(db, cast):
    alice = cast["resident"]
    give(db, alice, 500)
    soap = catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=1)
    before = state(db, alice, soap)
    with pytest.raises(OutOfStock) as caught:
        redeem.redeem(db, alice, item_id=soap.id, quantity=2, key="k")
    assert str(caught.value) == "“肥皂”库存不足：只剩 1 件，无法兑换 2 件。"
    assert state(db, alice, soap) == before
    redeem.redeem(db, alice, item_id=soap.id, key="k1")
    with pytest.raises(OutOfStock, match=exactly("“肥皂”已兑完，请等补货后再来。")):
        redeem.redeem(db, alice, item_id=soap.id, key="k2")
    assert catalogue.get(db, soap.id).stock == 0


def test_the_monthly_limit_counts_this_month_and_not_cancelled_ones(db, cast, rice):
    alice, staff = cast["resident"], cast["staff"]
    give(db, alice, 500)
    with pretend(datetime(2026, 10, 31, 15, 59, tzinfo=timezone.utc)):  # 23:59 in Shanghai
        redeem.redeem(db, alice, item_id=rice.id, quantity=2, key="october")
    with pretend(datetime(2026, 10, 31, 16, 1, tzinfo=timezone.utc)):  # 00:01, 1 November
        first = redeem.redeem(db, alice, item_id=rice.id, key="n1")
        assert first.month == "2026-11"
        redeem.cancel(db, staff, first.id, "居民改主意")
        redeem.redeem(db, alice, item_id=rice.id, quantity=2, key="n2")
        before = state(db, alice, rice)
        with pytest.raises(LimitReached) as caught:
            redeem.redeem(db, alice, item_id=rice.id, key="n3")
        assert str(caught.value) == "“大米 5kg”每人每月限兑 2 件，您本月已兑 2 件。"
        assert state(db, alice, rice) == before


def test_the_limit_is_per_person_and_zero_means_none(db, cast, make_user):
    towel = catalogue.add_item(db, cast["admin"], name="毛巾", price=1, stock=50, monthly_limit=1)
    soap = catalogue.add_item(db, cast["admin"], name="肥皂", price=1, stock=50)
    alice, bob = cast["resident"], make_user("resident")
    give(db, alice, 100)
    give(db, bob, 100)
    redeem.redeem(db, alice, item_id=towel.id, key="a1")
    redeem.redeem(db, bob, item_id=towel.id, key="b1")
    for number in range(3):
        redeem.redeem(db, alice, item_id=soap.id, quantity=QUANTITY, key=f"s{number}")
    assert redeem.redeemed_this_month(db, alice.id, soap.id) == 3 * QUANTITY


QUANTITY = 4


def exactly(message: str) -> str:
    """A pytest.raises match for the whole message, not a part of it."""
    return "^" + re.escape(message) + "$"


def test_an_inactive_item_cannot_be_redeemed(db, cast, rice):
    alice = cast["resident"]
    give(db, alice, 100)
    catalogue.edit_item(db, cast["admin"], item_id=rice.id, name=rice.name, price=20,
                        monthly_limit=2, active=False)
    before = state(db, alice, rice)
    with pytest.raises(ValidationError, match=exactly("“大米 5kg”已下架，暂不能兑换。")) as caught:
        redeem.redeem(db, alice, item_id=rice.id, key="k")
    assert list(caught.value.fields) == ["item"]
    assert state(db, alice, rice) == before


@pytest.mark.parametrize("quantity", [0, -1, 21, 10**9, "a", 1.0, True, None])
def test_a_quantity_that_is_not_1_to_20_is_refused(db, cast, rice, quantity):
    give(db, cast["resident"], 10**5)
    before = state(db, cast["resident"], rice)
    with pytest.raises(ValidationError) as caught:
        redeem.redeem(db, cast["resident"], item_id=rice.id, quantity=quantity, key="k")
    assert caught.value.fields == {"quantity": "兑换数量应是 1 到 20 的整数。"}
    assert state(db, cast["resident"], rice) == before


def test_twenty_units_is_the_most_at_once(db, cast):
    soap = catalogue.add_item(db, cast["admin"], name="肥皂", price=1, stock=100)
    give(db, cast["resident"], 100)
    assert redeem.redeem(db, cast["resident"], item_id=soap.id, quantity=20, key="k").points == 20


@pytest.mark.parametrize("key", ["", "   ", None, 5, "k" * 101])
def test_a_missing_or_odd_submission_key_is_refused(db, cast, rice, key):
    give(db, cast["resident"], 100)
    with pytest.raises(ValidationError) as caught:
        redeem.redeem(db, cast["resident"], item_id=rice.id, key=key)
    assert caught.value.fields == {"key": "缺少有效的操作编号，请刷新页面后重试。"}
    assert scalar(db, "SELECT COUNT(*) FROM shop_redemptions") == 0


def test_a_key_of_100_characters_is_fine(db, cast, rice):
    give(db, cast["resident"], 100)
    assert redeem.redeem(db, cast["resident"], item_id=rice.id, key="k" * 100).id == 1


@pytest.mark.parametrize("item_id", [999, "1 OR 1=1", -1, True, None])
def test_an_unknown_item_is_not_found(db, cast, rice, item_id):
    give(db, cast["resident"], 100)
    with pytest.raises(NotFound, match=exactly("找不到该商品，可能已被删除。")):
        redeem.redeem(db, cast["resident"], item_id=item_id, key="k")
    assert catalogue.get(db, rice.id).stock == 5


def test_guests_cannot_redeem(db, cast, rice):
    from lib.core.roles import GUEST_USER

    with pytest.raises(PermissionDenied, match=exactly("请先登录。")):
        redeem.redeem(db, GUEST_USER, item_id=rice.id, key="k")


# --- 代办: staff redeem for a resident without a phone -----------------------------------------

@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_redeem_for_a_resident_from_the_residents_points(db, cast, rice, role):
    alice, helper = cast["resident"], cast[role]
    give(db, alice, 30)
    made = redeem.redeem(db, helper, item_id=rice.id, key="k", for_user_id=alice.id)
    assert (made.user_id, made.proxy_by) == (alice.id, helper.id)
    assert ledger.balance(db, alice.id) == 10 and ledger.balance(db, helper.id) == 0
    assert ledger.history(db, alice.id)[0].actor_id == helper.id
    assert [r.id for r in redeem.my_redemptions(db, alice)] == [made.id]


@pytest.mark.parametrize("role", ["resident", "leader"])
def test_a_resident_or_leader_cannot_redeem_for_someone_else(db, cast, rice, make_user, role):
    bob = make_user("resident")
    give(db, bob, 100)
    before = state(db, bob, rice)
    with pytest.raises(PermissionDenied, match=exactly("只有社区工作人员可以代居民兑换。")):
        redeem.redeem(db, cast[role], item_id=rice.id, key="k", for_user_id=bob.id)
    assert state(db, bob, rice) == before


def test_a_proxy_redemption_says_the_residents_balance(db, cast, rice):
    give(db, cast["resident"], 5)
    with pytest.raises(InsufficientPoints, match=exactly("积分不足：兑换需要 20 积分，该居民现有 5 积分。")):
        redeem.redeem(db, cast["staff"], item_id=rice.id, key="k", for_user_id=cast["resident"].id)


def test_a_proxy_for_a_missing_or_disabled_account_is_refused(db, cast, rice, make_user):
    with pytest.raises(NotFound, match=exactly("找不到该居民。")):
        redeem.redeem(db, cast["staff"], item_id=rice.id, key="k", for_user_id=9999)
    gone = make_user("resident")
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (gone.id,))
    with pytest.raises(ValidationError, match=exactly("该账号已停用，不能兑换。")) as caught:
        redeem.redeem(db, cast["staff"], item_id=rice.id, key="k", for_user_id=gone.id)
    assert list(caught.value.fields) == ["user_id"]
    assert catalogue.get(db, rice.id).stock == 5


# --- fulfilling ------------------------------------------------------------------------------

@pytest.fixture
def waiting_one(db, cast, rice):
    give(db, cast["resident"], 50)
    return redeem.redeem(db, cast["resident"], item_id=rice.id, key="k")


@pytest.mark.parametrize("typed", ["{}", "{lower}", " {a} {b} ", "{a}-{b}", "\t{lower}\n"])
def test_staff_fulfil_by_the_code_typed_in_any_case_or_spacing(db, cast, waiting_one, typed):
    code = waiting_one.pickup_code
    text = typed.format(code, lower=code.lower(), a=code[:3], b=code[3:].lower())
    done = redeem.fulfil(db, cast["staff"], text)
    assert (done.id, done.status, done.closed_by) == (waiting_one.id, FULFILLED, cast["staff"].id)
    assert done.closed_at and done.status_label == "已领取" and not done.is_waiting
    assert catalogue.get(db, waiting_one.item_id).stock == 4  # handed over, not restocked
    assert ledger.balance(db, cast["resident"].id) == 30
    assert scalar(db, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == "shop.fulfil"


def test_fulfilling_twice_is_refused_and_nothing_changes(db, cast, waiting_one):
    first = redeem.fulfil(db, cast["staff"], waiting_one.pickup_code)
    with pytest.raises(InvalidTransition,
                       match=exactly(f"取件码 {first.pickup_code} 的商品已经领取过了。")):
        redeem.fulfil(db, cast["admin"], waiting_one.pickup_code)
    assert redeem.get(db, waiting_one.id) == first


def test_a_cancelled_redemption_cannot_be_fulfilled(db, cast, waiting_one):
    redeem.cancel(db, cast["resident"], waiting_one.id)
    with pytest.raises(InvalidTransition, match=exactly(f"取件码 {waiting_one.pickup_code} 的兑换已取消，积分已退回。")):
        redeem.fulfil(db, cast["staff"], waiting_one.pickup_code)
    assert redeem.get(db, waiting_one.id).status == CANCELLED


@pytest.mark.parametrize("role", ["resident", "leader"])
def test_only_staff_fulfil(db, cast, waiting_one, role):
    with pytest.raises(PermissionDenied):
        redeem.fulfil(db, cast[role], waiting_one.pickup_code)
    with pytest.raises(PermissionDenied):
        redeem.by_code(db, cast[role], waiting_one.pickup_code)
    with pytest.raises(PermissionDenied):
        redeem.waiting(db, cast[role])
    assert redeem.get(db, waiting_one.id).status == WAITING


@pytest.mark.parametrize("code", ["", "ABC", "ABCDEFG", "A" * 10_000, "' OR 1=1 --", "ABCDE0",
                                  "ABCDEI", "大米大米大米", None, 123456])
def test_a_malformed_code_is_refused_in_chinese(db, cast, waiting_one, code):
    with pytest.raises(ValidationError) as caught:
        redeem.fulfil(db, cast["staff"], code)
    assert caught.value.fields == {
        "code": "取件码是 6 位字母和数字（没有 0、O、1、I），请核对后重新输入。"}
    assert redeem.get(db, waiting_one.id).status == WAITING


def test_an_unknown_code_is_not_found(db, cast, waiting_one):
    other = "ZZZZZZ" if waiting_one.pickup_code != "ZZZZZZ" else "YYYYYY"
    with pytest.raises(NotFound, match=exactly(f"没有找到取件码为 {other} 的兑换，请核对。")):
        redeem.fulfil(db, cast["staff"], other.lower())


def test_by_code_finds_whose_and_what(db, cast, waiting_one):
    found = redeem.by_code(db, cast["staff"], waiting_one.pickup_code.lower())
    assert (found.item_name, found.user_name) == ("大米 5kg", cast["resident"].display_name)


# --- cancelling -------------------------------------------------------------------------------

def test_the_owner_cancels_their_own_and_gets_points_and_stock_back(db, cast, waiting_one):
    alice = cast["resident"]
    done = redeem.cancel(db, alice, waiting_one.id)
    assert (done.status, done.cancel_reason, done.closed_by) == (CANCELLED, "本人取消", alice.id)
    assert ledger.balance(db, alice.id) == 50 and catalogue.get(db, waiting_one.item_id).stock == 5
    refund = ledger.history(db, alice.id)[0]
    assert (refund.amount, refund.kind, refund.idempotency_key, refund.actor_id) == (
        20, "refund", f"shop-refund:{waiting_one.id}", None)
    assert refund.reason == "取消兑换 大米 5kg：本人取消"
    assert scalar(db, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == "shop.cancel"


def test_staff_cancel_any_waiting_one_with_a_reason(db, cast, waiting_one):
    with pytest.raises(ValidationError, match=exactly("代为取消请填写原因。")) as caught:
        redeem.cancel(db, cast["staff"], waiting_one.id, "  ")
    assert list(caught.value.fields) == ["reason"]
    assert redeem.get(db, waiting_one.id).status == WAITING
    done = redeem.cancel(db, cast["staff"], waiting_one.id, "商品受潮")
    assert done.cancel_reason == "商品受潮" and ledger.balance(db, cast["resident"].id) == 50


def test_staff_cancel_a_disabled_accounts_redemption_and_its_goods_return(db, cast, waiting_one):
    # the account closed before pickup: the goods go back on the shelf, the books stay exact
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (cast["resident"].id,))
    done = redeem.cancel(db, cast["staff"], waiting_one.id, "住户已搬离")
    assert done.status == CANCELLED and catalogue.get(db, waiting_one.item_id).stock == 5
    assert ledger.balance(db, cast["resident"].id) == 50
    with pytest.raises(ValidationError, match="停用"):  # spending stays closed to it
        redeem.redeem(db, cast["staff"], item_id=waiting_one.item_id, key="after-disable",
                      for_user_id=cast["resident"].id)


@pytest.mark.parametrize("role", ["leader", "other"])
def test_nobody_else_cancels(db, cast, waiting_one, make_user, role):
    actor = make_user("resident") if role == "other" else cast[role]
    with pytest.raises(PermissionDenied, match=exactly("只能取消自己的兑换。")):
        redeem.cancel(db, actor, waiting_one.id, "不要了")
    assert redeem.get(db, waiting_one.id).status == WAITING
    assert ledger.balance(db, cast["resident"].id) == 30


def test_cancelling_twice_or_after_pickup_refunds_nothing_more(db, cast, waiting_one, rice):
    redeem.cancel(db, cast["resident"], waiting_one.id)
    with pytest.raises(InvalidTransition):
        redeem.cancel(db, cast["staff"], waiting_one.id, "再取消")
    give(db, cast["resident"], 0 + 1, key="more")
    second = redeem.redeem(db, cast["resident"], item_id=rice.id, key="k2")
    redeem.fulfil(db, cast["staff"], second.pickup_code)
    before = state(db, cast["resident"], rice)
    with pytest.raises(InvalidTransition,
                       match=exactly(f"取件码 {second.pickup_code} 的商品已经领取过了。")):
        redeem.cancel(db, cast["resident"], second.id)
    assert state(db, cast["resident"], rice) == before


def test_a_long_reason_or_unknown_redemption_is_refused(db, cast, waiting_one):
    with pytest.raises(ValidationError, match=exactly("取消原因不能超过 100 个字。")) as caught:
        redeem.cancel(db, cast["staff"], waiting_one.id, "长" * 101)
    assert list(caught.value.fields) == ["reason"]
    with pytest.raises(NotFound):
        redeem.cancel(db, cast["staff"], 999, "x")
    assert redeem.cancel(db, cast["staff"], waiting_one.id, "长" * 100).status == CANCELLED


def test_guests_cannot_cancel(db, cast, waiting_one):
    from lib.core.roles import GUEST_USER

    with pytest.raises(PermissionDenied):
        redeem.cancel(db, GUEST_USER, waiting_one.id, "x")


# --- lists, QR ----------------------------------------------------------------------------

def test_my_redemptions_are_mine_newest_first_and_waiting_is_oldest_first(db, cast, rice,
                                                                         make_user):
    alice, bob = cast["resident"], make_user("resident")
    give(db, alice, 100)
    give(db, bob, 100)
    a1 = redeem.redeem(db, alice, item_id=rice.id, key="a1")
    b1 = redeem.redeem(db, bob, item_id=rice.id, key="b1")
    a2 = redeem.redeem(db, alice, item_id=rice.id, key="a2")
    assert [r.id for r in redeem.my_redemptions(db, alice)] == [a2.id, a1.id]
    assert [r.id for r in redeem.my_redemptions(db, alice, limit=1)] == [a2.id]
    redeem.fulfil(db, cast["staff"], a1.pickup_code)
    assert [r.id for r in redeem.waiting(db, cast["staff"])] == [b1.id, a2.id]
    assert [r.id for r in redeem.waiting(db, cast["staff"], limit=1)] == [b1.id]
    with pytest.raises(PermissionDenied):
        redeem.my_redemptions(db, __import__("lib.core.roles").core.roles.GUEST_USER)


def test_the_pickup_qr_decodes_back_to_the_code(db, waiting_one):
    png = codes.pickup_qr_png(waiting_one.pickup_code.lower())
    assert codes.decode_code(png) == waiting_one.pickup_code


def test_a_photo_of_the_qr_on_a_phone_screen_decodes(waiting_one):
    qr = Image.open(io.BytesIO(codes.pickup_qr_png(waiting_one.pickup_code)))
    photo = Image.new("RGB", (1200, 1600), (90, 90, 90))
    photo.paste(qr.resize((500, 500)), (350, 500))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=70)
    assert codes.decode_code(buffer.getvalue()) == waiting_one.pickup_code


def test_a_photo_without_a_code_or_with_another_qr_gives_none():
    from lib.people import posters

    blank = io.BytesIO()
    Image.new("RGB", (200, 200), (255, 255, 255)).save(blank, "PNG")
    assert codes.decode_code(blank.getvalue()) is None
    assert codes.decode_code(posters.qr_png("http://example.com/?b=1-1")) is None


def test_what_is_not_a_photo_is_refused():
    with pytest.raises(PhotoRejected):
        codes.decode_code(b"not an image at all")
    with pytest.raises(PhotoRejected):
        codes.decode_code(b"")


# --- what the audit log keeps, and how far the lists reach ------------------------------------

def audit_rows(db, action: str) -> list[tuple]:
    import json

    return [(actor, target_type, target_id, json.loads(detail)) for actor, target_type, target_id,
            detail in db.execute("SELECT actor_id, target_type, target_id, detail FROM audit_log"
                                 " WHERE action = ? ORDER BY id", (action,))]


def test_every_step_is_in_the_audit_log_with_what_and_who(db, cast, rice):
    alice, staff = cast["resident"], cast["staff"]
    give(db, alice, 100)
    own = redeem.redeem(db, alice, item_id=rice.id, quantity=2, key="a")
    give(db, cast["admin"], 100)
    proxy = redeem.redeem(db, staff, item_id=rice.id, key="p", for_user_id=cast["admin"].id)
    redeem.fulfil(db, staff, own.pickup_code.lower())
    redeem.cancel(db, staff, proxy.id, "商品受潮")
    assert audit_rows(db, "shop.redeem") == [
        (alice.id, "shop_redemption", str(own.id),
         {"name": "大米 5kg", "quantity": 2, "amount": 40, "user_id": None}),
        (staff.id, "shop_redemption", str(proxy.id),
         {"name": "大米 5kg", "quantity": 1, "amount": 20, "user_id": cast["admin"].id})]
    assert audit_rows(db, "shop.fulfil") == [
        (staff.id, "shop_redemption", str(own.id),
         {"name": "大米 5kg", "quantity": 2, "code": own.pickup_code})]
    assert audit_rows(db, "shop.cancel") == [
        (staff.id, "shop_redemption", str(proxy.id),
         {"name": "大米 5kg", "amount": 20, "reason": "商品受潮"})]


def test_the_owner_may_cancel_without_typing_a_reason(db, cast, waiting_one):
    assert redeem.cancel(db, cast["resident"], waiting_one.id, None).cancel_reason == "本人取消"


def many_redemptions(db, user, item, count: int, status: str = "waiting") -> None:
    """Rows written directly: the lists' reach is tested, not the rules, so no rules run."""
    db.conn.executemany(
        "INSERT INTO shop_redemptions (item_id, user_id, quantity, points, month, pickup_code,"
        " status, submission_key, created_at) VALUES (?, ?, 1, 20, '2026-01', ?, ?, ?, 'now')",
        [(item.id, user.id, f"C{number:05d}", status, f"k{number}") for number in range(count)])
    db.conn.commit()


def test_my_list_shows_twenty_by_default_and_never_more_than_200(db, cast, rice):
    many_redemptions(db, cast["resident"], rice, 201)
    assert len(redeem.my_redemptions(db, cast["resident"])) == 20
    assert len(redeem.my_redemptions(db, cast["resident"], limit=10**6)) == 200
    assert len(redeem.my_redemptions(db, cast["resident"], limit=-5)) == 1


def test_the_desk_list_shows_fifty_by_default_and_never_more_than_500(db, cast, rice):
    many_redemptions(db, cast["resident"], rice, 501)
    assert len(redeem.waiting(db, cast["staff"])) == 50
    assert len(redeem.waiting(db, cast["staff"], limit=10**6)) == 500
    assert len(redeem.waiting(db, cast["staff"], limit=0)) == 1


def test_an_unknown_redemption_is_not_found_in_chinese(db):
    with pytest.raises(NotFound, match=exactly("找不到该兑换记录。")):
        redeem.get(db, 999)


def test_the_pickup_qr_is_drawn_large_enough_to_scan_from_a_phone(waiting_one):
    image = Image.open(io.BytesIO(codes.pickup_qr_png(waiting_one.pickup_code)))
    assert image.size == (29 * 8, 29 * 8)  # 21 modules and a 4-module border, 8 px each


def test_a_photo_holding_another_qr_beside_the_code_still_finds_the_code(waiting_one):
    from lib.people import posters

    photo = Image.new("RGB", (1400, 700), (255, 255, 255))
    photo.paste(Image.open(io.BytesIO(posters.qr_png("http://example.com/?b=1-1", 8))), (20, 20))
    photo.paste(Image.open(io.BytesIO(codes.pickup_qr_png(waiting_one.pickup_code))), (900, 300))
    buffer = io.BytesIO()
    photo.save(buffer, "PNG")
    assert codes.decode_code(buffer.getvalue()) == waiting_one.pickup_code
