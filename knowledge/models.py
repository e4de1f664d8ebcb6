"""SQLAlchemy 2.x models of the knowledge base and of users' progress."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, LargeBinary, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


routine_activities = Table(
    "kb_routine_activity",
    Base.metadata,
    Column("routine_id", ForeignKey("kb_routine.id", ondelete="CASCADE"), primary_key=True),
    Column("activity_id", ForeignKey("kb_activity.id", ondelete="CASCADE"), primary_key=True),
)

routine_contraindications = Table(
    "kb_routine_contraindication",
    Base.metadata,
    Column("routine_id", ForeignKey("kb_routine.id", ondelete="CASCADE"), primary_key=True),
    Column("contraindication_id", ForeignKey("kb_contraindication.id", ondelete="CASCADE"), primary_key=True),
)


class Region(Base):
    __tablename__ = "kb_region"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class Activity(Base):
    __tablename__ = "kb_activity"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class Equipment(Base):
    __tablename__ = "kb_equipment"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")


class Contraindication(Base):
    __tablename__ = "kb_contraindication"
    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    effect: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)


class Routine(Base):
    __tablename__ = "kb_routine"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[str] = mapped_column(ForeignKey("kb_region.id"), index=True)
    equipment_id: Mapped[str] = mapped_column(ForeignKey("kb_equipment.id"), index=True)
    muscles: Mapped[str] = mapped_column(Text)  # comma separated, for display only
    summary: Mapped[str] = mapped_column(Text)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    dose: Mapped[str] = mapped_column(Text)
    frequency: Mapped[str] = mapped_column(Text)
    evidence_label: Mapped[str] = mapped_column(String(80))
    evidence_source: Mapped[str] = mapped_column(Text)
    cautions: Mapped[str] = mapped_column(Text)  # newline separated
    closing_name: Mapped[str] = mapped_column(String(200))
    closing_instructions: Mapped[str] = mapped_column(Text)
    sources: Mapped[str] = mapped_column(Text)  # newline separated

    region: Mapped[Region] = relationship()
    equipment: Mapped[Equipment] = relationship()
    steps: Mapped[list[RoutineStep]] = relationship(
        back_populates="routine", order_by="RoutineStep.index", cascade="all, delete-orphan"
    )
    activities: Mapped[list[Activity]] = relationship(secondary=routine_activities)
    contraindications: Mapped[list[Contraindication]] = relationship(secondary=routine_contraindications)


class RoutineStep(Base):
    __tablename__ = "kb_routine_step"
    routine_id: Mapped[str] = mapped_column(ForeignKey("kb_routine.id", ondelete="CASCADE"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based
    position: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    seconds: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    reps: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    pressure: Mapped[str] = mapped_column(Text)
    avoid: Mapped[str] = mapped_column(Text)
    routine: Mapped[Routine] = relationship(back_populates="steps")


class RedFlag(Base):
    __tablename__ = "kb_red_flag"
    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    level: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    advice: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    crisis: Mapped[bool] = mapped_column(Boolean, default=False)


class RedFlagCombination(Base):
    __tablename__ = "kb_red_flag_combination"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    members: Mapped[str] = mapped_column(Text)  # comma separated flag ids
    level: Mapped[str] = mapped_column(String(20))
    advice: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)


class Screening(Base):
    __tablename__ = "kb_screening"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    regions: Mapped[str] = mapped_column(Text)  # comma separated region ids
    areas: Mapped[str] = mapped_column(Text, default="")  # comma separated risk areas
    yes_flags: Mapped[str] = mapped_column(Text, default="")  # comma separated flag ids
    question: Mapped[str] = mapped_column(Text)
    items: Mapped[list[ScreeningItem]] = relationship(
        order_by="ScreeningItem.index", cascade="all, delete-orphan"
    )


class ScreeningItem(Base):
    __tablename__ = "kb_screening_item"
    screening_id: Mapped[str] = mapped_column(ForeignKey("kb_screening.id", ondelete="CASCADE"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[str] = mapped_column(ForeignKey("kb_red_flag.id"))
    label: Mapped[str] = mapped_column(String(120))


class OtherArea(Base):
    """A body part without routines: what to say and which regions to suggest."""

    __tablename__ = "kb_other_area"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    suggest: Mapped[str] = mapped_column(Text)  # comma separated region ids


class BotMessage(Base):
    """A fixed message with its variations (JSON list of texts)."""

    __tablename__ = "kb_message"
    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    texts: Mapped[str] = mapped_column(Text)


class ContentVersion(Base):
    """Which content is loaded, so an unchanged load is skipped."""

    __tablename__ = "kb_content_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    routines: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RoutineSession(Base):
    """One routine a user started: the history behind "how am I doing?", with the pain
    before and after on the 0-10 numeric rating scale (either may be skipped)."""

    __tablename__ = "user_routine_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_key: Mapped[str] = mapped_column(String(255), index=True)
    routine_id: Mapped[str] = mapped_column(String(80))
    region: Mapped[str] = mapped_column(String(40))
    equipment: Mapped[str] = mapped_column(String(40))
    before: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    after: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)


class WarningGiven:
    """The columns of a warning given to a user: who, how urgent, which flags, what advice."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_key: Mapped[str] = mapped_column(String(255), index=True)
    level: Mapped[str] = mapped_column(String(20))
    flags: Mapped[str] = mapped_column(Text)
    advice: Mapped[str] = mapped_column(Text)


class TriageRecord(WarningGiven, Base):
    """A referral warning given to a user: what the clinician's summary lists."""

    __tablename__ = "user_triage_record"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class UserPreference(Base):
    __tablename__ = "user_preference"
    user_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    ask_pain: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserSummary(Base):
    """A summary for a clinician, as a page, a PDF and a FHIR R4 Bundle. Fetched by its
    random id together with proof of the conversation (its SHA-256 is kept, not the id)."""

    __tablename__ = "user_summary"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_key: Mapped[str] = mapped_column(String(255), index=True)
    conversation_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    fhir: Mapped[str] = mapped_column(Text)


class SafetyHold(WarningGiven, Base):
    """An emergency warning given to a user, in force until it expires or the user confirms
    it was typed by mistake (which is recorded, not deleted)."""

    __tablename__ = "user_safety_hold"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    withdrawn_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    withdraw_note: Mapped[Optional[str]] = mapped_column(String(255), nullable=True)


# Every table that holds something of a user (erasure and retention go through all of them).
USER_TABLES = [RoutineSession, TriageRecord, UserPreference, UserSummary, SafetyHold]

CONTENT_TABLES = [
    RoutineStep, routine_activities, routine_contraindications, ScreeningItem, Screening,
    Routine, RedFlagCombination, RedFlag, Contraindication, Region, Activity, Equipment,
    BotMessage, OtherArea, ContentVersion,
]
