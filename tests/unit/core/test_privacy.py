"""The one privacy policy: which payload fields are personal, how they are masked, who sees them."""

from __future__ import annotations

import copy
from uuid import uuid4

import pytest

from domain.shared import privacy
from domain.shared.permissions import Actor, Role
from domain.shared.privacy import (
    PERSONAL_DATA_ROLES,
    TRUSTED,
    mask_id_number,
    mask_phone,
    masked,
    may_see_personal_data,
    redact,
)

ID = "320508199001011234"
ID_MASKED = "**************1234"
PHONE = "138-1234-5678"
PHONE_MASKED = "*******5678"


def actor(*roles: Role) -> Actor:
    return Actor(subject="s", name="S", roles=frozenset(roles), scope=uuid4())


AUDITOR = actor(Role.AUDITOR)


def test_the_masks_show_the_last_four_characters_and_nothing_else() -> None:
    # Before, the ID number's first four (its region) and the phone's first three showed too.
    assert mask_id_number(ID) == ID_MASKED
    assert mask_id_number("32050819900101123X") == "**************123X"
    assert mask_phone(PHONE) == PHONE_MASKED
    assert mask_phone("13812345678") == PHONE_MASKED
    assert mask_phone("+86 138 1234 5678") == "**********5678"
    assert mask_phone("0512-6522-1234") == "********1234"
    assert mask_id_number(None) is None and mask_phone(None) is None


def test_values_too_short_to_hide_as_much_as_they_show_are_masked_whole() -> None:
    # Before, a 7-digit phone came out in full and short values were doubled up.
    assert mask_phone("6522123") == "*******"
    assert mask_phone("12-345") == "*****"
    assert mask_id_number("1234567") == "*******"
    assert mask_id_number("12345678") == "****5678"
    assert mask_id_number("") == "" and mask_phone("") == ""


def test_personal_fields_are_masked_at_the_top_nested_and_in_lists() -> None:
    payload = {
        "name": "李秀英", "id_number": ID, "phone": PHONE,
        "member": {"id_number": ID, "details": {"phone": "13912345678", "city": "苏州"}},
        "contacts": [{"phone": PHONE, "relation": "配偶"}, {"phone": None}, "plain text"],
        "deep": [[{"x": [{"id_number": ID}]}]],
    }
    assert masked(payload) == {
        "name": "李秀英", "id_number": ID_MASKED, "phone": PHONE_MASKED,
        "member": {"id_number": ID_MASKED, "details": {"phone": "*******5678", "city": "苏州"}},
        "contacts": [{"phone": PHONE_MASKED, "relation": "配偶"}, {"phone": None}, "plain text"],
        "deep": [[{"x": [{"id_number": ID_MASKED}]}]],
    }


def test_a_personal_field_holding_a_list_an_object_or_a_number_is_masked_inside() -> None:
    payload = {"phone": [PHONE, None, "13912345678"], "id_number": {"old": ID, "new": None},
               "phone_count": 2}
    assert masked(payload) == {"phone": [PHONE_MASKED, None, "*******5678"],
                               "id_number": {"old": ID_MASKED, "new": None}, "phone_count": 2}
    assert masked({"phone": 13812345678}) == {"phone": PHONE_MASKED}


def test_what_is_not_personal_is_left_exactly_as_it_was() -> None:
    payload = {"changed_fields": ["name", "phone"], "amount": "1.10", "n": 3, "ok": True,
               "nothing": None, "nested": {"list": [1, 2.5, {"k": "v"}]}, "telephone": "x"}
    before = copy.deepcopy(payload)
    assert masked(payload) == before
    assert payload == before
    assert masked("phone") == "phone" and masked(None) is None and masked([1]) == [1]


def test_the_input_is_never_changed() -> None:
    payload = {"member": {"id_number": ID}, "contacts": [{"phone": PHONE}]}
    before = copy.deepcopy(payload)
    masked(payload)
    redact(payload, AUDITOR)
    assert payload == before


@pytest.mark.parametrize("role", sorted(PERSONAL_DATA_ROLES, key=lambda r: r.value))
def test_roles_that_write_transfer_letters_see_personal_data(role: Role) -> None:
    viewer = actor(role)
    payload = {"member": {"id_number": ID, "phone": PHONE}}
    assert may_see_personal_data(viewer) is True
    assert redact(payload, viewer) is payload


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.INTEGRATION, Role.FINANCE_OFFICER])
def test_other_roles_get_the_masked_copy(role: Role) -> None:
    viewer = actor(role)
    assert may_see_personal_data(viewer) is False
    assert redact({"member": {"phone": PHONE}}, viewer) == {"member": {"phone": PHONE_MASKED}}


def test_no_roles_masks_and_one_personal_data_role_among_others_unmasks() -> None:
    assert redact({"phone": PHONE}, actor()) == {"phone": PHONE_MASKED}
    both = actor(Role.AUDITOR, Role.STREET_ADMIN)
    assert redact({"phone": PHONE}, both) == {"phone": PHONE}


def test_trusted_system_consumers_get_complete_payloads() -> None:
    payload = {"member": {"id_number": ID}}
    assert may_see_personal_data(TRUSTED)
    assert redact(payload, TRUSTED) is payload
    assert repr(TRUSTED) == "TRUSTED"


def test_one_field_as_a_viewer_may_see_it() -> None:
    assert privacy.visible("id_number", ID, AUDITOR) == ID_MASKED
    assert privacy.visible("phone", None, AUDITOR) is None
    assert privacy.visible("name", "李秀英", AUDITOR) == "李秀英"
    assert privacy.visible("phone", PHONE, actor(Role.COMMUNITY_SECRETARY)) == PHONE
    assert privacy.is_personal("id_number") and not privacy.is_personal("name")
    with pytest.raises(TypeError):
        privacy.PERSONAL_FIELDS["email"] = mask_phone  # type: ignore[index]
