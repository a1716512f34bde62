"""SQLAlchemy models of the knowledge database (SQLite by default, PostgreSQL in production)."""
from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class LawRow(Base):
    __tablename__ = "kb_laws"
    key = Column(String(80), primary_key=True)
    title = Column(String(200), nullable=False)
    version = Column(String(10), nullable=False)
    version_note = Column(Text, nullable=False, default="")
    source = Column(String(300), nullable=False)
    sha256 = Column(String(64), nullable=False)
    caveat = Column(Text, nullable=False, default="")
    # server default: a loader of an older release (without this column) can still write the table
    later_version = Column(Text, nullable=False, default="", server_default="")


class ArticleRow(Base):
    __tablename__ = "kb_articles"
    __table_args__ = (UniqueConstraint("law_key", "label"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    law_key = Column(String(80), ForeignKey("kb_laws.key", ondelete="CASCADE"), nullable=False, index=True)
    label = Column(String(40), nullable=False)
    text = Column(Text, nullable=False)


class RecordRow(Base):
    __tablename__ = "kb_records"
    id = Column(String(120), primary_key=True)
    type = Column(String(40), nullable=False, index=True)
    domain = Column(String(20), index=True)
    title = Column(String(300), nullable=False)
    origin = Column(String(200), nullable=False)
    data = Column(JSON, nullable=False)  # the validated record, as in the data file
    citations = relationship("CitationRow", cascade="all, delete-orphan", order_by="CitationRow.position")


class CitationRow(Base):
    __tablename__ = "kb_citations"
    id = Column(Integer, primary_key=True, autoincrement=True)
    record_id = Column(String(120), ForeignKey("kb_records.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    law_key = Column(String(80), ForeignKey("kb_laws.key"), nullable=False)
    article = Column(String(40), nullable=False)
    quote = Column(Text, nullable=False)
    role = Column(String(20), nullable=False)


class MetaRow(Base):
    __tablename__ = "kb_meta"
    key = Column(String(40), primary_key=True)
    value = Column(Text, nullable=False)
