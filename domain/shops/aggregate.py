"""A demonstration shop (党员示范店): its registration, its way through a selection round,
its plaque, complaints, scores and revocation, all in the shop's own stream.

The selection steps follow DOMAIN.md: application → community (or business-district
committee) recommends → street pre-review → district approves (a place of the round's
quota, ``domain.shops.rounds``) → integrity pledge signed (承诺), which starts the public
notice (公示) → plaque awarded once the notice has run and every objection filed in it is
resolved. A refusal at any step states its reason and ends the application; the shop may
apply again only in another round. A revoked shop (摘牌) returns only through a new round.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import InvalidInput, NotFound
from domain.shared.text import clean
from domain.shops.errors import AlreadyRevoked, NoticePeriodRunning, ShopNotAllowed
from domain.shops.licence import Attestation
from domain.shops.rules import Outcome, check_on

MAX_NAME, MAX_ADDRESS, MAX_CATEGORY, MAX_TEXT = 100, 200, 40, 2000


def check_text(value: str, field: str, most: int) -> str:
    text = clean(value)
    if not 1 <= len(text) <= most:
        raise InvalidInput(f"{field} has 1–{most} characters", field=field)
    return text


class Step(enum.Enum):
    """Where an open application stands."""

    APPLIED = "APPLIED"
    RECOMMENDED = "RECOMMENDED"
    PRE_REVIEWED = "PRE_REVIEWED"
    APPROVED = "APPROVED"
    IN_NOTICE = "IN_NOTICE"


class ShopState(enum.Enum):
    """Where the shop stands: an open application's step, or its plaque's state."""

    REGISTERED = "REGISTERED"
    APPLIED = "APPLIED"
    RECOMMENDED = "RECOMMENDED"
    PRE_REVIEWED = "PRE_REVIEWED"
    APPROVED = "APPROVED"
    IN_NOTICE = "IN_NOTICE"
    AWARDED = "AWARDED"
    REVOKED = "REVOKED"


class Channel(enum.Enum):
    """How a complaint came in."""

    HOTLINE_12345 = "HOTLINE_12345"
    VISIT = "VISIT"
    ONLINE = "ONLINE"
    INSPECTION = "INSPECTION"


class ComplaintState(enum.Enum):
    RECEIVED = "RECEIVED"
    INVESTIGATING = "INVESTIGATING"
    CONCLUDED = "CONCLUDED"


@dataclass
class Application:
    """The shop's open application in one round."""

    id: UUID
    round_id: UUID
    step: Step
    on: date
    """The date of its latest step."""
    notice_until: date | None = None
    """The last day of the public notice, once the pledge is signed."""
    objections: dict[UUID, bool] = field(default_factory=dict)
    """Objections filed in the notice: id -> resolved."""


@dataclass
class Complaint:
    id: UUID
    state: ComplaintState
    received_on: date


NEXT: dict[Step, Step] = {Step.APPLIED: Step.RECOMMENDED, Step.RECOMMENDED: Step.PRE_REVIEWED,
                          Step.PRE_REVIEWED: Step.APPROVED}


class Shop(Aggregate):
    """A shop run by a Party member (or by an operator with a member responsible for it)."""

    class Registered(Aggregate.Created):
        organization_id: UUID
        """The business-district committee (商圈党委) or community the shop belongs to."""
        name: str
        credit_code: str
        licence_valid_until: date
        address: str
        point: list[float] | None
        category: str
        owner_member_id: UUID | None
        operator_name: str | None
        responsible_member_id: UUID | None
        operator_subject: str | None

    @event(Registered)
    def __init__(self, organization_id: UUID, name: str, credit_code: str, licence_valid_until: date,
                 address: str, point: list[float] | None, category: str, owner_member_id: UUID | None,
                 operator_name: str | None, responsible_member_id: UUID | None,
                 operator_subject: str | None) -> None:
        self.organization_id = organization_id
        self.name = name
        self.credit_code = credit_code
        self.licence_valid_until = licence_valid_until
        self.address = address
        self.point = point
        self.category = category
        self.owner_member_id = owner_member_id
        self.operator_name = operator_name
        self.responsible_member_id = responsible_member_id
        self.operator_subject = operator_subject
        self.application: Application | None = None
        self.rounds: set[UUID] = set()
        self.plaque_serial: str | None = None
        self.awarded_on: date | None = None
        self.revoked_on: date | None = None
        self.plaque_held = False
        """A revoked shop's plaque not yet recovered."""
        self.complaints: dict[UUID, Complaint] = {}
        self.scores: dict[tuple[int, int], int] = {}
        self.reviewed: set[int] = set()

    @classmethod
    def create_id(cls, *args: object, **kwargs: object) -> UUID:
        return uuid4()

    @property
    def member_id(self) -> UUID:
        """The member behind the shop: its owner, or the member responsible for its operator."""
        found = self.owner_member_id or self.responsible_member_id
        assert found is not None
        return found

    @property
    def state(self) -> ShopState:
        if self.application is not None:
            return ShopState(self.application.step.value)
        if self.plaque_serial is not None:
            return ShopState.AWARDED
        return ShopState.REVOKED if self.revoked_on is not None else ShopState.REGISTERED

    # -- details -----------------------------------------------------------------------

    def update_details(self, licence_valid_until: date | None, address: str | None, category: str | None,
                       point: list[float] | None) -> None:
        """Record what changed of the given details (``None``: stays); nothing new is refused."""
        licence = None if licence_valid_until == self.licence_valid_until else licence_valid_until
        address = None if address == self.address else address
        category = None if category == self.category else category
        point = None if point == self.point else point
        if licence is None and address is None and category is None and point is None:
            raise InvalidInput("nothing to update: give a detail that differs from the shop's", field="shopId")
        self._details_updated(licence_valid_until=licence, address=address, category=category, point=point)

    @event("DetailsUpdated")
    def _details_updated(self, licence_valid_until: date | None, address: str | None, category: str | None,
                         point: list[float] | None) -> None:
        """Each field that changed; ``null``: unchanged."""
        if licence_valid_until is not None:
            self.licence_valid_until = licence_valid_until
        if address is not None:
            self.address = address
        if category is not None:
            self.category = category
        if point is not None:
            self.point = point

    # -- selection ---------------------------------------------------------------------

    def open_application(self) -> Application:
        if self.application is None:
            raise ShopNotAllowed("the shop has no open application", field="shopId")
        return self.application

    def apply(self, round_id: UUID, attestations: list[Attestation], applied_on: date) -> UUID:
        if self.application is not None:
            raise ShopNotAllowed("the shop has an open application already", field="shopId")
        if self.plaque_serial is not None:
            raise ShopNotAllowed("the shop holds a plaque already", field="shopId")
        if round_id in self.rounds:
            raise ShopNotAllowed("the shop applied in this round before: a new application needs a new round",
                                 field="roundId")
        application_id = uuid4()
        self._applied(application_id=application_id, round_id=round_id, applied_on=applied_on,
                      attestations=[{"condition": a.condition.value, "holds": a.holds,
                                     "source_document": a.source_document} for a in attestations])
        return application_id

    @event("Applied")
    def _applied(self, application_id: UUID, round_id: UUID, applied_on: date,
                 attestations: list[dict[str, object]]) -> None:
        self.application = Application(application_id, round_id, Step.APPLIED, applied_on)
        self.rounds.add(round_id)

    def _advance(self, expected: Step, on: date, today: date, what: str) -> Application:
        app = self.open_application()
        if app.step is not expected:
            raise ShopNotAllowed(f"{what} follows {expected.value.lower()}; the application is {app.step.value}",
                                 field="shopId")
        check_on(on, today, app.on, "on", what)
        return app

    def recommend(self, on: date, today: date, note: str | None) -> None:
        app = self._advance(Step.APPLIED, on, today, "a recommendation")
        self._recommended(application_id=app.id, recommended_on=on, note=note)

    @event("Recommended")
    def _recommended(self, application_id: UUID, recommended_on: date, note: str | None) -> None:
        assert self.application is not None
        self.application.step, self.application.on = Step.RECOMMENDED, recommended_on

    def pre_review(self, on: date, today: date, note: str | None) -> None:
        app = self._advance(Step.RECOMMENDED, on, today, "a pre-review")
        self._pre_reviewed(application_id=app.id, pre_reviewed_on=on, note=note)

    @event("PreReviewed")
    def _pre_reviewed(self, application_id: UUID, pre_reviewed_on: date, note: str | None) -> None:
        assert self.application is not None
        self.application.step, self.application.on = Step.PRE_REVIEWED, pre_reviewed_on

    def approve(self, on: date, today: date) -> None:
        app = self._advance(Step.PRE_REVIEWED, on, today, "an approval")
        self._approved(application_id=app.id, round_id=app.round_id, approved_on=on)

    @event("Approved")
    def _approved(self, application_id: UUID, round_id: UUID, approved_on: date) -> None:
        assert self.application is not None
        self.application.step, self.application.on = Step.APPROVED, approved_on

    def sign_pledge(self, on: date, today: date, notice_days: int) -> date:
        """The integrity pledge (诚信承诺) is signed; the public notice runs from that day
        for ``notice_days`` days (its last day returned)."""
        app = self._advance(Step.APPROVED, on, today, "a pledge")
        until = on + timedelta(days=notice_days - 1)
        self._pledge_signed(application_id=app.id, signed_on=on, notice_from=on, notice_until=until)
        return until

    @event("PledgeSigned")
    def _pledge_signed(self, application_id: UUID, signed_on: date, notice_from: date, notice_until: date) -> None:
        assert self.application is not None
        self.application.step, self.application.on = Step.IN_NOTICE, signed_on
        self.application.notice_until = notice_until

    def file_objection(self, text: str, on: date, today: date) -> UUID:
        app = self._advance(Step.IN_NOTICE, on, today, "an objection")
        assert app.notice_until is not None
        if on > app.notice_until:
            raise ShopNotAllowed(f"the public notice ended on {app.notice_until.isoformat()}", field="on")
        objection_id = uuid4()
        self._objection_filed(application_id=app.id, objection_id=objection_id, filed_on=on,
                              text=check_text(text, "text", MAX_TEXT))
        return objection_id

    @event("ObjectionFiled")
    def _objection_filed(self, application_id: UUID, objection_id: UUID, filed_on: date, text: str) -> None:
        assert self.application is not None
        self.application.objections[objection_id] = False

    def resolve_objection(self, objection_id: UUID, upheld: bool, resolution: str, on: date, today: date) -> None:
        """Resolve an objection: dismissed, the notice goes on; upheld, the application is
        refused with the objection's resolution as its reason (``refuse`` follows)."""
        app = self.open_application()
        if app.objections.get(objection_id) is None:
            raise NotFound(f"no objection {objection_id} to this application", field="objectionId")
        if app.objections[objection_id]:
            raise ShopNotAllowed("the objection is resolved already", field="objectionId")
        check_on(on, today, app.on, "on", "a resolution")
        self._objection_resolved(application_id=app.id, objection_id=objection_id, upheld=upheld,
                                 resolution=check_text(resolution, "resolution", MAX_TEXT), resolved_on=on)

    @event("ObjectionResolved")
    def _objection_resolved(self, application_id: UUID, objection_id: UUID, upheld: bool, resolution: str,
                            resolved_on: date) -> None:
        assert self.application is not None
        self.application.objections[objection_id] = True

    def refuse(self, reason: str, on: date, today: date) -> Application:
        """End the open application at its step, with the reason (the place it held, if
        approved, is the round's to give back)."""
        app = self.open_application()
        check_on(on, today, app.on, "on", "a refusal")
        self._refused(application_id=app.id, round_id=app.round_id, at_step=app.step, reason=reason,
                      refused_on=on)
        return app

    @event("Refused")
    def _refused(self, application_id: UUID, round_id: UUID, at_step: Step, reason: str, refused_on: date) -> None:
        self.application = None

    def award(self, serial: str, on: date, today: date, year: int) -> None:
        app = self.open_application()
        if app.step is not Step.IN_NOTICE:
            raise ShopNotAllowed(f"a plaque is awarded after the pledge and notice; the application is"
                                 f" {app.step.value}", field="shopId")
        assert app.notice_until is not None
        check_on(on, today, app.on, "on", "an award")
        if on <= app.notice_until:
            raise NoticePeriodRunning(f"the public notice runs until {app.notice_until.isoformat()}", field="on")
        open_objections = [o for o, resolved in app.objections.items() if not resolved]
        if open_objections:
            raise NoticePeriodRunning(f"{len(open_objections)} objection(s) filed in the notice are not resolved",
                                      field="shopId")
        self._plaque_awarded(application_id=app.id, round_id=app.round_id, organization_id=self.organization_id,
                             year=year, plaque_serial=serial, awarded_on=on)

    @event("PlaqueAwarded")
    def _plaque_awarded(self, application_id: UUID, round_id: UUID, organization_id: UUID, year: int,
                        plaque_serial: str, awarded_on: date) -> None:
        """``organization_id`` repeats the shop's, so the award alone places it (reconciliation)."""
        self.application = None
        self.plaque_serial, self.awarded_on, self.revoked_on = plaque_serial, awarded_on, None
        self.plaque_held = False

    # -- dynamic management --------------------------------------------------------------

    def revoke(self, reason: str, on: date, today: date, complaint_id: UUID | None = None) -> None:
        if self.plaque_serial is None:
            if self.revoked_on is not None:
                raise AlreadyRevoked(f"the shop's plaque was revoked on {self.revoked_on.isoformat()}",
                                     field="shopId")
            raise ShopNotAllowed("the shop holds no plaque to revoke", field="shopId")
        check_on(on, today, self.awarded_on, "on", "a revocation")
        self._revoked(plaque_serial=self.plaque_serial, reason=reason, revoked_on=on, complaint_id=complaint_id)

    @event("Revoked")
    def _revoked(self, plaque_serial: str, reason: str, revoked_on: date, complaint_id: UUID | None) -> None:
        self.plaque_serial, self.revoked_on, self.plaque_held = None, revoked_on, True

    def recover_plaque(self, recovered_by: str, on: date, today: date) -> None:
        if not self.plaque_held:
            if self.revoked_on is not None:
                raise AlreadyRevoked("the revoked plaque is recovered already", field="shopId")
            raise ShopNotAllowed("only a revoked shop's plaque is recovered", field="shopId")
        check_on(on, today, self.revoked_on, "on", "a recovery")
        self._plaque_recovered(recovered_by=check_text(recovered_by, "recoveredBy", MAX_NAME), recovered_on=on)

    @event("PlaqueRecovered")
    def _plaque_recovered(self, recovered_by: str, recovered_on: date) -> None:
        self.plaque_held = False

    def record_complaint(self, channel: Channel, summary: str, on: date, today: date) -> UUID:
        """Record a complaint. Who made it (a resident's name and phone) is no part of the
        shop's stream: it goes to the complaint's own ``ShopComplainant`` stream, sealed and
        erasable per complaint (``domain.shops.complainants``)."""
        check_on(on, today, None, "receivedOn", "a complaint")
        complaint_id = uuid4()
        self._complaint_recorded(complaint_id=complaint_id, channel=channel, received_on=on,
                                 summary=check_text(summary, "summary", MAX_TEXT))
        return complaint_id

    @event("ComplaintRecorded")
    def _complaint_recorded(self, complaint_id: UUID, channel: Channel, received_on: date, summary: str) -> None:
        self.complaints[complaint_id] = Complaint(complaint_id, ComplaintState.RECEIVED, received_on)

    def _complaint(self, complaint_id: UUID) -> Complaint:
        found = self.complaints.get(complaint_id)
        if found is None:
            raise NotFound(f"no complaint {complaint_id} about this shop", field="complaintId")
        if found.state is ComplaintState.CONCLUDED:
            raise ShopNotAllowed("the complaint is concluded", field="complaintId")
        return found

    def investigate_complaint(self, complaint_id: UUID, investigator: str, on: date, today: date) -> None:
        complaint = self._complaint(complaint_id)
        if complaint.state is ComplaintState.INVESTIGATING:
            raise ShopNotAllowed("the complaint is under investigation already", field="complaintId")
        check_on(on, today, complaint.received_on, "on", "an investigation")
        self._complaint_investigated(complaint_id=complaint_id, investigator=check_text(
            investigator, "investigator", MAX_NAME), started_on=on)

    @event("ComplaintInvestigated")
    def _complaint_investigated(self, complaint_id: UUID, investigator: str, started_on: date) -> None:
        self.complaints[complaint_id].state = ComplaintState.INVESTIGATING

    def conclude_complaint(self, complaint_id: UUID, verified: bool, serious: bool, conclusion: str, on: date,
                           today: date) -> bool:
        """Conclude a complaint; a verified serious one revokes the plaque at once (一票否决),
        the complaint being the reason. Returns whether it revoked."""
        complaint = self._complaint(complaint_id)
        if serious and not verified:
            raise InvalidInput("only a verified complaint is serious", field="serious")
        check_on(on, today, complaint.received_on, "on", "a conclusion")
        text = check_text(conclusion, "conclusion", MAX_TEXT)
        self._complaint_concluded(complaint_id=complaint_id, verified=verified, serious=serious, conclusion=text,
                                  concluded_on=on)
        if verified and serious and self.plaque_serial is not None:
            self.revoke(f"一票否决: verified serious complaint {complaint_id}: {text}"[:500], on, today, complaint_id)
            return True
        return False

    @event("ComplaintConcluded")
    def _complaint_concluded(self, complaint_id: UUID, verified: bool, serious: bool, conclusion: str,
                             concluded_on: date) -> None:
        self.complaints[complaint_id].state = ComplaintState.CONCLUDED

    def score_quarter(self, year: int, quarter: int, scores: dict[str, int], on: date, today: date) -> int:
        if self.plaque_serial is None or self.awarded_on is None:
            raise ShopNotAllowed("only a shop holding a plaque is scored", field="shopId")
        if not 1 <= quarter <= 4:
            raise InvalidInput("a quarter is 1–4", field="quarter")
        if year < self.awarded_on.year or (year, quarter) > (today.year, (today.month - 1) // 3 + 1):
            raise InvalidInput("a quarter is scored from the award's year, and not ahead of the current quarter",
                               field="year")
        if (year, quarter) in self.scores:
            raise ShopNotAllowed(f"{year} Q{quarter} is scored already", field="quarter")
        check_on(on, today, None, "on", "a score")
        total = sum(scores.values())
        self._quarter_scored(year=year, quarter=quarter, scores=scores, total=total, scored_on=on)
        return total

    @event("QuarterScored")
    def _quarter_scored(self, year: int, quarter: int, scores: dict[str, int], total: int, scored_on: date) -> None:
        self.scores[(year, quarter)] = total

    def review_year(self, year: int, outcome_of: Callable[[float], Outcome], on: date, today: date) -> Outcome:
        """Confirm the year's stars from its quarters' average (or revoke below the threshold)."""
        if self.plaque_serial is None:
            raise ShopNotAllowed("only a shop holding a plaque is reviewed", field="shopId")
        if year in self.reviewed:
            raise ShopNotAllowed(f"the {year} review is done", field="year")
        totals = [t for (y, _), t in sorted(self.scores.items()) if y == year]
        if not totals:
            raise ShopNotAllowed(f"no quarter of {year} is scored", field="year")
        check_on(on, today, None, "on", "a review")
        average = round(sum(totals) / len(totals), 2)
        outcome = outcome_of(average)
        self._year_reviewed(year=year, quarters=len(totals), average=average, outcome=outcome, reviewed_on=on)
        if outcome is Outcome.REVOKED:
            self.revoke(f"yearly review {year}: average {average} below the three-star threshold", on, today)
        return outcome

    @event("YearReviewed")
    def _year_reviewed(self, year: int, quarters: int, average: float, outcome: Outcome, reviewed_on: date) -> None:
        self.reviewed.add(year)
