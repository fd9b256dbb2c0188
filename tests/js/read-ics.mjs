// Reads an .ics file the way Thunderbird does (ical.js), registering the file's own VTIMEZONEs,
// and prints each VEVENT's UTC start/end and text fields as JSON for tests/test_calendar.py.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const text = readFileSync(process.argv[2], "utf8");
const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(zone));
}
const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    location: event.location,
    sequence: event.sequence,
    status: component.getFirstPropertyValue("status"),
    start: event.startDate.toJSDate().toISOString(),
    end: event.endDate.toJSDate().toISOString(),
    start_zone: event.startDate.zone ? event.startDate.zone.tzid : null,
  };
});
const properties = calendar.getAllProperties().map((p) => p.name);
process.stdout.write(JSON.stringify({ properties, events }));
