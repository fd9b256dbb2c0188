"""Expands each recurring VEVENT of an .ics file with libical's own recurrence iterator (GObject bindings),
applying EXDATE and RECURRENCE-ID overrides as Evolution does, and prints the UTC instants as JSON.

Runs under the system /usr/bin/python3 (python3-gi, gir1.2-ical-3.0), like tests/libical_read.py.
Usage: libical_expand.py FILE LIMIT
"""

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as ICal  # noqa: E402

text = open(sys.argv[1], encoding="utf-8").read()
limit = int(sys.argv[2])
calendar = ICal.Component.new_from_string(text)
utc = ICal.Timezone.get_utc_timezone()
zones = {}
zone = calendar.get_first_component(ICal.ComponentKind.VTIMEZONE_COMPONENT)
while zone is not None:
    tz = ICal.Timezone.new()
    tz.set_component(zone.clone())
    zones[tz.get_tzid()] = tz
    zone = calendar.get_next_component(ICal.ComponentKind.VTIMEZONE_COMPONENT)


def zoned(prop, value):
    """The property's time with its TZID's zone attached."""
    param = prop.get_first_parameter(ICal.ParameterKind.TZID_PARAMETER)
    if param is not None:
        value.set_timezone(zones[param.get_tzid()])
    return value


def key(t):
    day = f"{t.get_year():04d}{t.get_month():02d}{t.get_day():02d}"
    return f"{day}T{t.get_hour():02d}{t.get_minute():02d}{t.get_second():02d}"


def as_utc(t):
    t = t.clone()
    if not t.is_utc():
        ICal.Time.convert_timezone(t, t.get_timezone(), utc)
    return key(t) + "Z"


masters, overrides = [], {}
event = calendar.get_first_component(ICal.ComponentKind.VEVENT_COMPONENT)
while event is not None:
    rid = event.get_first_property(ICal.PropertyKind.RECURRENCEID_PROPERTY)
    start_prop = event.get_first_property(ICal.PropertyKind.DTSTART_PROPERTY)
    end_prop = event.get_first_property(ICal.PropertyKind.DTEND_PROPERTY)
    start, end = zoned(start_prop, start_prop.get_dtstart()), zoned(end_prop, end_prop.get_dtend())
    if rid is not None:
        overrides[(event.get_uid(), key(zoned(rid, rid.get_recurrenceid())))] = (start, end)
    else:
        masters.append((event, start, end))
    event = calendar.get_next_component(ICal.ComponentKind.VEVENT_COMPONENT)

result = {}
for event, start, end in masters:
    uid = event.get_uid()
    excluded = set()
    prop = event.get_first_property(ICal.PropertyKind.EXDATE_PROPERTY)
    while prop is not None:
        excluded.add(key(zoned(prop, prop.get_exdate())))
        prop = event.get_next_property(ICal.PropertyKind.EXDATE_PROPERTY)
    rule = event.get_first_property(ICal.PropertyKind.RRULE_PROPERTY).get_rrule()
    iterator = ICal.RecurIterator.new(rule, start)
    instants = []
    seconds = end.as_timet_with_zone(end.get_timezone()) - start.as_timet_with_zone(start.get_timezone())
    while len(instants) < limit:
        t = iterator.next()
        if t is None or t.is_null_time():
            break
        t.set_timezone(start.get_timezone())
        if key(t) in excluded:
            continue
        found = overrides.get((uid, key(t)))
        if found is not None:
            instants.append([as_utc(found[0]), as_utc(found[1])])
            continue
        later = t.clone()
        later.adjust(0, 0, 0, seconds)
        instants.append([as_utc(t), as_utc(later)])
    result[uid] = instants
print(json.dumps(result))
