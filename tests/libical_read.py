"""Reads an .ics file with libical (GObject bindings) and prints UTC start/end and iTIP problems as JSON.

Runs under the system /usr/bin/python3, where Debian's python3-gi and gir1.2-ical-3.0 live; the tests
call it in a subprocess so the project's venv needs neither.
"""

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as ICal  # noqa: E402

text = open(sys.argv[1], encoding="utf-8").read()
calendar = ICal.Component.new_from_string(text)
utc = ICal.Timezone.get_utc_timezone()
zones = {}
zone = calendar.get_first_component(ICal.ComponentKind.VTIMEZONE_COMPONENT)
while zone is not None:
    tz = ICal.Timezone.new()
    tz.set_component(zone.clone())
    zones[tz.get_tzid()] = tz
    zone = calendar.get_next_component(ICal.ComponentKind.VTIMEZONE_COMPONENT)


def to_utc(prop):
    t = prop.get_dtstart() if prop.isa() == ICal.PropertyKind.DTSTART_PROPERTY else prop.get_dtend()
    param = prop.get_first_parameter(ICal.ParameterKind.TZID_PARAMETER)
    if param is not None:
        t.set_timezone(zones[param.get_tzid()])
    if param is not None:
        ICal.Time.convert_timezone(t, zones[param.get_tzid()], utc)
    parts = (t.get_year(), t.get_month(), t.get_day(), t.get_hour(), t.get_minute(), t.get_second())
    return "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*parts)


calendar.check_restrictions()
errors = [line for line in calendar.as_ical_string().splitlines() if line.startswith("X-LIC-ERROR")]
events = []
event = calendar.get_first_component(ICal.ComponentKind.VEVENT_COMPONENT)
while event is not None:
    events.append(
        {
            "uid": event.get_uid(),
            "summary": event.get_summary(),
            "start": to_utc(event.get_first_property(ICal.PropertyKind.DTSTART_PROPERTY)),
            "end": to_utc(event.get_first_property(ICal.PropertyKind.DTEND_PROPERTY)),
        }
    )
    event = calendar.get_next_component(ICal.ComponentKind.VEVENT_COMPONENT)
print(json.dumps({"events": events, "errors": errors}))
