// Expands each recurring VEVENT of an .ics file the way Thunderbird does (ical.js): the file's own
// VTIMEZONEs, the RRULE with its EXDATEs, and the RECURRENCE-ID overrides related to their series.
// Prints {uid: [[startUTC, endUTC], ...]} for the first LIMIT occurrences of each series.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const text = readFileSync(process.argv[2], "utf8");
const limit = Number(process.argv[3]);
const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(zone));
}
const vevents = calendar.getAllSubcomponents("vevent");
const masters = vevents.filter((c) => !c.hasProperty("recurrence-id")).map((c) => new ICAL.Event(c));
for (const component of vevents.filter((c) => c.hasProperty("recurrence-id"))) {
  const exception = new ICAL.Event(component);
  const master = masters.find((m) => m.uid === exception.uid);
  if (master) master.relateException(exception);
}
const result = {};
for (const event of masters) {
  const instants = [];
  const iterator = event.iterator();
  for (let next = iterator.next(); next && instants.length < limit; next = iterator.next()) {
    const details = event.getOccurrenceDetails(next);
    instants.push([details.startDate.toJSDate().toISOString(), details.endDate.toJSDate().toISOString()]);
  }
  result[event.uid] = instants;
}
process.stdout.write(JSON.stringify(result));
