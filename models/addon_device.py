from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class AddonDevice(Base):
    """A communicator on a client; for a Jasper communicator type the Device Ref No is the SIM's ICCID.

    One SIM belongs to one client: two clients holding the same ICCID would fight over its status.
    """

    __tablename__ = "addon_device"
    __table_args__ = (UniqueConstraint("communicator_type_id", "device_ref_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    communicator_type_id: Mapped[int] = mapped_column(ForeignKey("communicator_type.id"))
    device_ref_no: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200), default="")
