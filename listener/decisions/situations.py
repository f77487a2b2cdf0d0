# ruff: noqa: E501 -- lexicons: one alternative per string reads better than split regexes
"""What is at stake in a post: the vocabulary of each urgency situation.

One pattern per situation (safety, stranded, money, outage, legal, press), built from
words and from constructions (a part and what went wrong with it, a service and its
absence, an amount and a charge). ``reading.read`` checks every match in its clause for
negation, hypotheticals, praise idioms and resolution before it counts. This is the only
situation vocabulary: ``classifiers/signals.py`` keeps none of its own.
"""

from __future__ import annotations

import re

from listener.decisions.lexicon import alternatives

__all__ = ["SITUATION_CUES"]

# Helpers of the constructions below: the rest of a clause (a few words), an amount of
# money, a service that can be out.
_W = r"[^.!?\n]{0,40}?"  # the rest of the clause, a few words
_AMOUNT = r"(?:[£$€₹]\s?\d[\d,.]*|\d[\d,.]*\s?(?:quid|dollars|euros|pounds|bucks|rs\.?|inr|usd|gbp))"
_SERVICE = r"(?:internet|wi-?fi|broadband|power|electricity|water|gas|signal|service|network|data|line|servers?|app|site|website|system|platform|portal)"

# One pattern per situation, in up to four parts: its words; the wider vocabulary (kinds
# of harm, not phrases of any one post); constructions rather than phrases (a part and
# what went wrong with it within a clause, "brake pedal went almost to the floor"; a
# service and its absence, "internet has been out since 7am"; an amount and a charge);
# more kinds of each, from how people write them (not from any table's posts).
SITUATION_CUES: dict[str, re.Pattern[str]] = {
    "safety": alternatives(
        r"(?:caught|on|burst into|catch(?:ing)?) (?:fire|flames?)", r"flames?", r"fire(?! alarm)",
        r"smoke(?! alarm)", r"fire brigade",
        r"fire (?:department|service|fighters?)", r"smok(?:ing|ed)", r"smoke (?:coming|from|out)",
        r"spark(?:s|ing|ed)", r"explod\w*", r"explosion", r"burn(?:t|ed|s)? (?:my|his|her|our)",
        r"burns?", r"too hot to touch", r"overheat\w*", r"melt(?:ed|ing)", r"swoll?en",
        r"injur\w*", r"bleed\w*", r"blood (?:everywhere|all over|on (?:my|the|his|her))", r"hospital", r"ambulance", r"a&e", r"paramedics?",
        r"epipen", r"allergic", r"allerg(?:y|en)", r"anaphyla\w*", r"peanuts?",
        r"food poisoning", r"poison\w*", r"vomit\w*", r"throw(?:ing|n)? up", r"threw up", r"being sick", r"sick all (?:night|day)",
        r"(?:coeliac|celiac|gluten[- ]free|dairy[- ]free|nut[- ]free|allergen[- ]free)\b[^.!?\n]{0,80}(?:sick|ill|reaction|hives|swell\w*|rash|hospital|throw\w* up|vomit\w*)", r"chok(?:e|ed|ing)", r"swallow\w*",
        r"(?:glass|plastic|metal|wire|bone|hair) in (?:my|the|his|her|our)",
        r"electric(?:al)? shock", r"electrocut\w*", r"shocked me", r"unsafe", r"dangerous",
        r"(?:fire|safety|choking|electrical|trip) hazard", r"gas leak", r"smell(?:s|ing)? (?:of )?gas", r"carbon monoxide",
        r"brakes? (?:failed|gave out|did nothing|stopped)", r"power lines? down",
        r"live wire", r"emergency exit", r"(?:someone else'?s|wrong) (?:prescription|medic\w*|tablets?|pills?)",
        r"(?:toddler|baby|child|kid|son|daughter) (?:is |was )?(?:still )?(?:locked |stuck |trapped )?inside",
        r"intruder", r"broke in", r"nearly killed", r"get(?:s)? (?:someone )?killed",
        r"recall(?:ed)?\?+",
        # wider vocabulary
        r"hurt (?:me|my|him|her|us|them)", r"burned", r"scald\w*", r"cut (?:my|his|her|their)",
        r"(?:got|was|were|felt|feel|am|been|is|are) (?:really |so |violently )?(?:sick|ill)",
        r"made (?:me|us|him|her|my \w+) (?:sick|ill)", r"diarrh\w*", r"rash", r"hives",
        r"urgent care", r"mou?ldy?", r"maggots?", r"cockroach\w*", r"(?:raw|undercooked) \w+",
        r"rotten", r"steering (?:failed|locked|went)", r"airbags?", r"accident", r"collision",
        r"crash(?:ed)? (?:into|my car)", r"assault\w*", r"harass\w*", r"threaten\w*",
        r"followed me", r"(?:drunk|reckless|speeding) driv\w*", r"battery (?:is )?(?:swelling|bulging|leaking)",
        r"fell (?:off|through|down)", r"collapsed", r"broken glass", r"sharp (?:edge|piece)",
        r"leak(?:ing|s)? (?:gas|fuel|acid|chemicals?)", r"fumes", r"recall(?:ed)?",
        # constructions
        rf"(?:brakes?|brake pedal|steering|accelerator|throttle|tyres?|tires?|wheel){_W}(?:fail\w*|gave out|to the floor|spongy|locked up|stuck open|came off|blew out|burst|shred\w*|exploded|not working|stopped working)",
        rf"batter(?:y|ies){_W}(?:puff\w*|swell\w*|swollen|bulg\w*|expand\w*|leak\w*|hot|smok\w*|hiss\w*)",
        r"gas smell", r"smells? (?:like|of) (?:gas|burning|smoke|electrical)", r"burning smell",
        r"(?:wrong|someone else'?s|different|another (?:person|patient)'?s?) (?:drug|medicine|medication|meds|tablets?|pills?|dose|prescription)",
        rf"(?:tablets?|pills?|meds|medication|medicine|drugs?){_W}(?:for|belong to|belonging to) (?:someone|somebody) else",
        r"(?:ran|run|running|went through|jump\w*) (?:a |two |\d |several )?red lights?", r"on (?:his|her|their) phone (?:the whole|while|all)",
        rf"(?:exposed|bare|loose|hanging){_W}wires?", r"wires? (?:exposed|hanging|sparking)", r"electrocut\w*",
        r"(?:nuts?|gluten|dairy|shellfish|sesame|egg)\b[^.!?\n]{0,30}(?:allerg\w*|reaction)", r"epi-?pen",
        rf"(?:glass|plastic|metal|wire|bone|hair|screw|bolt|stone|glove|nail|insect|bug|fly|worm|blade)\w*{_W}(?:in|into|inside|in the middle of) (?:my|the|our|his|her) (?:\w+ )?(?:food|meal|pizza|burger|sandwich|salad|drink|coffee|order|bowl|soup|curry|chips|fries|rice|bread|cake|wrap|dinner|lunch|breakfast|noodles|chicken)",
        r"bit into (?:it|a|something|the)", r"(?:took|taken|ate|eaten|drank|swallowed|gave (?:him|her|them)) (?:one|it|some|a dose|a bite|half)[^.!?\n]{0,20}before (?:i|we|she|he) noticed", r"(?:accelerat\w*|brak\w*|steer\w*|swerv\w*|mov(?:ed|ing)|roll(?:ed|ing)) (?:on its own|by itself)",
        r"(?:sudden|unintended) acceleration", r"scared to (?:drive|use|charge|eat|plug)",
        # more kinds
        r"(?:broke|fractured|sprained|chipped|cracked) (?:my|his|her|a) (?:arm|leg|wrist|ankle|tooth|teeth|finger|nose|rib)",
        r"stitches", r"concussion", r"emergency room", r"\ber\b", r"911", r"999", r"slipped (?:on|and)", r"tripped (?:on|over)",
        r"(?:nearly|almost) (?:crashed|hit|killed|died|choked|fell)", r"terrif\w*",
        r"(?:insects?|worms?|flies|fly|hair|cockroach\w*|mouse|rats?|droppings|maggots?|bugs?|a bug) (?:in|inside|crawling in) (?:my|the|our)",
        r"(?:expired|off|out of date|gone off) (?:meat|chicken|milk|formula|food|baby food)", r"(?:double|wrong|extra) dose", r"overdose\w*",
        r"sewage", r"(?:water|rain) (?:leaking|pouring|dripping) (?:into|onto|through) (?:the |my )?(?:socket|fuse|electrics|wiring|light)",
        # what a person fears will happen, and harm done by a thing or a person
        r"(?:before|until) (?:someone|somebody|anyone|a (?:kid|child)|people|a customer) (?:gets?|is|are) (?:hurt|injured|killed|electrocuted|burned|burnt)",
        r"(?:hit|struck|smacked|whacked) (?:me|him|her|them|a (?:guy|man|woman|kid|child|customer|lady)|my \w+|someone) (?:in|on) the (?:face|head|eye|chest|neck)",
        rf"(?:power ?banks?|vapes?|e-?bikes?|scooters?|chargers?|phones?|laptops?){_W}(?:puff\w*|swell\w*|swollen|bulg\w*|smok\w*|melt\w*|too hot)",
        r"bare (?:copper|metal|wires?|cables?)", rf"(?:cables?|wires?|leads?|cords?){_W}(?:split open|frayed|exposed|sparking|melted)",
        rf"(?:driv\w+|doing \d{{2,3}}){_W}(?:while|whilst) (?:watching|texting|on (?:his|her|their) phone|looking at (?:his|her|their) phone)",
        r"(?:stranger|man|woman|guy|someone|somebody) (?:i don'?t know )?(?:just )?(?:opened|walked into|came into|let (?:himself|herself|themselves) into|entered|tried to open|unlocked) (?:my|our) (?:room|door|flat|house|home|apartment|cabin)",
        # a body hurt by heat, a reaction, a door or a driver; a part that gives way or flies off
        r"(?:boiling|hot|scalding) (?:water|oil|coffee|tea|liquid|soup|steam)[^.!?\n]{0,25}(?:on|over|all over|down|onto) (?:my|his|her|their|our|me|him|the baby)",
        r"(?:had|having|went into|suffered|caused) an? (?:allergic |bad |severe |awful )?reaction", r"swell(?:ed|ing) up",
        r"(?:lips?|face|throat|tongue|eyes?)(?: \w+)? (?:swell\w*|swole|closing up|puff\w* up)",
        r"(?:closed|slammed|shut|trapped|caught|crushed|jammed)\s+(?:on\s+)?(?:my|his|her|their|our|someone'?s|a child'?s)\s+(?:\w+'?s?\s+)?(?:arm|hand|fingers?|leg|foot|feet|head|neck)",
        r"(?:driver|he|she)[^.!?\n]{0,30}(?:texting|on (?:his|her|their) phone|fell asleep|falling asleep|drunk|going \d{2,3}\b|doing \d{2,3}\b)",
        r"(?:got|gets|getting|went|was|is) (?:so |really |dangerously |very )?hot (?:it|that|enough)", r"(?:left|leaves) (?:a )?(?:burn|scorch) marks?",
        r"(?:lid|door|cap|top|glass|screen|wheel|tyre|tire|blade|handle)s? (?:blew|flew|shot|snapped) (?:off|out|apart)",
        rf"(?:rail|railing|handrail|banister|handle(?:bar)?s?|bolts?|screws?|bracket|hinge|mount|strap|buckle|harness|ladder|step|shelf|seat|leg|frame|fan|mirror|light fitting){_W}(?:came|fell|snapped|broke|gave) (?:off|out|away|loose|apart|way)",
        r"(?:i|we|he|she) came off (?:the|my|it|at)", r"and (?:i|we|he|she) came off",
        r"(?:buckle|seat ?belt|harness|car seat|straps?)[^.!?\n]{0,30}(?:won'?t|will not|doesn'?t|can'?t) (?:release|open|unbuckle|undo|come off)",
        r"left the gas on", r"(?:hob|oven|gas|cooker) (?:was |is )?(?:left )?on (?:all night|overnight|for hours)",
        r"(?:formula|baby food|baby milk|medicine|medication)[^.!?\n]{0,30}(?:specks?|flecks|particles|lumps|mou?ld|discolou?r\w*)",
        r"(?:behaving|being|acting|got|getting) (?:really |very )?(?:aggressive\w*|violent\w*|threatening)", r"aggressive (?:man|woman|customer|guy|person|driver)",
        r"hit (?:my|our|a) (?:parked )?(?:car|van|bike|scooter|kid|son|daughter|dog|child)", r"hit and run", r"drove off (?:after|without)",
        # a vehicle into a person: "the driver reversed into my mum and drove off"
        r"(?:reversed|backed|drove|crashed|ploughed|plowed|swerved|ran) into (?:me|us|him|her|my (?:\w+ )?(?:mum|mom|dad|son|daughter|child|kid|baby|wife|husband|partner|friend|gran|grandma|grandad|grandpa|nan)|an? (?:pedestrian|cyclist|child|kid|woman|man|person|old (?:man|woman|lady)))",
        # water on electrics, a door that will not lock, being held, a scorched plug, a
        # shard in food, a worker turning on a child
        r"water (?:\w+ ){0,2}(?:through|from|into|in|out of) (?:the |our |my )?(?:ceiling )?(?:lights?|light fittings?|sockets?|fuse ?box|electrics|plugs?)",
        r"(?:water|sewage) (?:is )?(?:pouring|gushing|flooding|streaming|leaking) (?:through|in|into|out of|down) (?:the |our |my )?(?:ceiling|roof|walls?|stairs)",
        r"(?:door|lock|window)s?(?: (?:of|in|on) (?:the|my|our) \w+)? (?:doesn'?t|won'?t|does not|will not|can'?t) (?:lock|close|shut)", r"(?:won'?t|wouldn'?t|refus\w+ to) let (?:us|me|them|my \w+) (?:out|off|leave|go)\b",
        r"scorch(?:ed|ing|es)?", r"(?:sharp|broken) (?:bit|piece|shard|chunk|sliver)s? of (?:glass|plastic|metal)",
        r"(?:shouted|screamed|yelled|swore|swearing|threw \w+) at (?:me and )?(?:my )?(?:kids|children|son|daughter|child|baby|mum|mom|gran|wife|pregnant)",
    ),
    "stranded": alternatives(
        r"stranded",
        r"stuck (?:at|in|on|outside) (?:the |a |an )?(?:airport|gate|station|terminal|border|passport control|immigration|customs|check-?in|road|roadside|motorway|highway|freeway|interstate|garage|parking|car park|lift|elevator|train|platform|side of|middle of)", r"locked (?:out|in)", r"lock(?:s|ed)? me out",
        r"kick(?:s|ed|ing)? me out", r"can'?t get (?:in|home|out)", r"no way (?:home|in|out)",
        r"sleeping (?:at|in|on)", r"on the (?:hard )?shoulder", r"roadside assistance",
        r"broke(?:n)? down", r"tow truck", r"no (?:heat|heating|hot water)",
        r"(?:left|lost) my wheelchair", r"wheelchair", r"missed my connection",
        r"no hotel", r"nowhere to (?:sleep|stay|go)", r"where do (?:we|i) go(?= now| from here| tonight|\s*\?|\s*$)",
        r"(?:card|payment) (?:was |got )?declined", r"can'?t pay for",
        r"(?:one|1|last) (?:pen|dose|pill|tablet|tank|cylinder|bottle|nappy|nappies|can)s? left", r"insulin", r"oxygen (?:delivery|tanks?|cylinders?|supply|concentrator)",
        r"locked (?:the|my|our) (?:car|door|room|flat|house|van)[^.!?\n]{0,40}(?:keys?|phone|baby|dog|kids?|son|daughter)(?: \w+){0,3} (?:inside|in it|in there)",
        r"(?:medication|meds|prescription) (?:hasn'?t|not|never) (?:arrived|come|been delivered)",
        r"\d+ miles of range", r"(?:car'?s|battery'?s?|car is|battery is) at \d+ ?%",
        r"next charger is", r"(?:phone|battery) (?:is )?at \d+ ?%", r"standing outside",
        r"(?:exam|test|interview|flight) starts in", r"(?:gate|boarding|check-?in|flight|train|bus) (?:closes|leaves|departs|goes) in \d+",
        r"(?:stuck|stranded|alone) [^.!?\n]{0,25}(?:at|after) (?:midnight|night|\d+ ?(?:am|pm))", r"stuck (?:across town|miles from|\d+ miles)",
        r"(?:flat (?:tyre|tire)|a flat|puncture)[^.!?\n]{0,40}(?:spare|jack|no way|road|motorway|miles)",
        r"(?:dropped|left) (?:me|us|my (?:son|daughter|kids?|child|children|wife|husband|mum|mom|dad|partner|friend|grandma|grandad)) (?:off )?(?:at|in|on) (?:the wrong|a random|an unknown)", r"don'?t know the area",
        # wider vocabulary
        r"stuck (?:here|outside|in the (?:cold|rain|snow|dark|middle))", r"left (?:me |us )?(?:stranded|behind)",
        r"abandoned", r"middle of nowhere", r"(?:stuck|stranded|standing|waiting|sat|sitting|sleeping|left|locked out|outside)(?: here| \w+)? (?:out )?in the (?:cold|rain|snow|dark)", r"freezing",
        r"no (?:ac|air ?con\w*|water|electricity)", r"can'?t (?:get to|reach) (?:work|home|the hospital|my)",
        r"no way to (?:get|pay|reach)(?! (?:in touch|through|hold|an? answer|a reply|a response|(?:a |an |the )?(?:person|human|real person|anyone|anybody|someone|somebody|support|customer (?:service|support|care)|agent|you|them)))", r"(?:flight|train|bus|ferry) (?:was |got |is )?cancell?ed",
        r"missed (?:my|the|our) (?:flight|train|bus|connection|appointment|exam|surgery)",
        r"overnight (?:at|in) the", r"(?:sleep|sleeping|slept) (?:at|in|on) the",
        r"can'?t (?:pay|buy|afford) (?:for )?(?:food|rent|groceries|gas|petrol|fuel|my|our)",
        r"rent (?:is )?due", r"no money (?:for|to|left)",
        r"(?:medication|meds|prescription|inhaler|oxygen) (?:hasn'?t|has not|not|never|still)",
        r"(?:run|ran|running) out of (?:medication|meds|insulin|my \w+ medication)",
        r"(?:phone|battery)(?:'s| is)? (?:dying|about to die|dead)",
        # constructions
        r"where (?:am i|are we|do i|do we) (?:meant|supposed) to (?:go|sleep|stay)", r"(?:alone|by myself|on my own) (?:outside|at|in the|on the)",
        r"(?:phone|battery)(?: is|'s)? (?:on|at|down to) \d+ ?%", r"(?:only |just )?(?:[0-9]|1[0-5]) ?% (?:battery|charge)(?! in)", r"(?:\d+|one|two|three|last) (?:doses?|pens?|pills|tablets|days? of (?:meds|medication|insulin|tablets))(?: are| is)? left",
        r"(?:no record of|can'?t find|cancell?ed) my (?:booking|reservation|room)", r"(?:they'?re|hotel is|it'?s) (?:full|fully booked)",
        r"no (?:cars?|taxis?|drivers?|buses|trains?|rooms?) (?:available|left|running)",
        r"(?:room|booking|reservation|seat|cabin) (?:was |got |had been |has been )?(?:given|sold|re-?let) to (?:someone|somebody) else",
        r"(?:every|all the|all) (?:other )?(?:hotels?|rooms?|places?)(?:'s| is| are)? (?:full|booked)", r"(?:a town|a city|somewhere) (?:we|i) don'?t know", r"(?:last|only) (?:train|bus|ferry) (?:home )?(?:was |got )?cancell?ed",
        # more kinds
        r"waiting (?:for|on) (?:a |the |my )?(?:tow|recovery|roadside|breakdown|pick-?up|replacement (?:bus|car))", r"on the (?:tarmac|runway)",
        r"(?:left|dumped|abandoned) (?:us |me )?(?:at|on|in) the (?:airport|station|side of|roadside|motorway|highway)",
        r"(?:without|no) (?:power|electricity|heat|heating|water) (?:for|since) (?:\d|two|three|four|five|days|hours|yesterday|last)",
        r"(?:stuck|trapped) (?:in|inside) (?:the|a|my) (?:lift|elevator|car|room|building|car park)",
        r"(?:flight|plane|train|bus|ship|ferry|boat|coach|tour|shuttle) (?:left|departed|went|has gone) (?:port |the \w+ )?without (?:us|me)", r"(?:no|without) (?:our |my )?passports?",
        # shut out now: a key or code that fails, a vehicle held for hours, medication running out
        rf"(?:digital key|car key|phone key|key ?cards?|key fob|door code|check[- ]?in code|lock ?box(?: code)?|access code|smart lock|keypad|entry code)\w*{_W}(?:doesn'?t|does not|won'?t|stopped|isn'?t|not|no longer) (?:work|working|open|opening|unlock\w*)",
        r"(?:has|have|'ve|'s|we'?ve|we have|i'?ve) been (?:sat|stuck|stationary|stopped|held|sitting) (?:outside|on the|at|in the middle|just outside|between)",
        r"(?:i|we|she|he|they) (?:run|am running|'m running|are running|will run|runs) out (?:tonight|today|tomorrow|this weekend|in (?:a|one|two|\d) days?)",
        r"(?:heating|hot water|boiler|power|electricity|water|gas)(?: supply)? (?:has been |have been |is |'s |was |went |been )(?:off|out|cut off)\b",
        r"pitch (?:dark|black)", r"(?:-?\d|minus \w+) degrees",
        r"(?:standing|stuck|waiting|sitting|sat)(?: \w+){1,3} in the (?:cold|rain|snow|dark)",
        # held by a plug, cut off by a supplier, left without cover
        rf"(?:charger|charging cable|cable|plug|nozzle|connector)\w*{_W}(?:won'?t|will not|doesn'?t|does not) (?:release|unlock|come out|disconnect)",
        r"(?:cut|switched|disconnected) (?:me |us )?off by (?:my |our |the |your )?(?:energy|gas|electric\w*|water|power|supplier|provider)",
        r"(?:energy|gas|electricity|power|water|supply)(?: \w+){0,2} (?:cut|disconnected|switched) (?:me |us )?off",
        r"(?:cancell?ed|lapsed|voided) (?:my |our )?(?:car |home |travel |health )?(?:insurance|cover|policy)", r"(?:insurance|cover|policy) (?:was |has been |got )?(?:cancell?ed|lapsed|voided)",
        r"locked (?:us|me|them|my \w+) in\b",
    ),
    "money": alternatives(
        r"charged (?:me )?(?:twice|double|two times|2x|again|for)", r"double[- ]charged",
        r"billed (?:me )?(?:twice|again|after)", r"overcharg\w*", r"over-charg\w*",
        r"(?:taken|took|taking|stole|stolen|gone from|drained) (?:my |our )?(?:money|£|\$|€|₹|funds|savings)",
        r"money'?s gone", r"(?:never|didn'?t|did not) (?:make|made|send|sent|authori[sz]e|order)",
        r"unauthori[sz]ed", r"fraud\w*", r"someone (?:got into|hacked|changed)",
        r"(?:no |still no |refus\w* (?:\S+ ){0,2}|waiting (?:on|for) (?:\S+ ){0,2}|where'?s my |not eligible for (?:a )?)refund",
        r"refund (?:is |was )?\"?(?:not eligible|refused|denied|rejected)",
        r"charged (?:me )?[^.!?]{0,40}(?:cancel\w*|never (?:came|arrived)|returned|after)", r"(?:release|return|give back) my (?:funds|money|deposit)",
        r"give it back", r"withdrawals? (?:\"?pending\"?|stuck|frozen|blocked|disabled)",
        r"(?:account|card|funds) (?:is |was |has been |got )?(?:frozen|locked|under review|suspended|closed)",
        r"overdrawn", r"chargeback", r"(?:after|since) (?:i )?cancel(?:l)?(?:ed|ing)", r"x ?2\b",
        r"(?:four|three|two|\d) subscriptions", r"bill (?:is |was |of )?[£$€]\d",
        # wider vocabulary
        r"charged (?:me |us )?[£$€]\s?\d", r"(?:took|taken|deducted|debited|withdrew|withdrawn|pulled) [£$€]\s?\d",
        r"double (?:charge|payment|billed|billing)", r"charged (?:me )?(?:for nothing|without)",
        r"(?:haven'?t|have not|never|still not|still haven'?t) (?:received|got|gotten|seen) (?:my |a |the |our )?(?:refund|money|payment|deposit|payout|reimbursement)",
        r"(?:my|our) (?:deposit|savings|payout|paycheck|wages)", r"refund (?:still|never|hasn'?t)",
        r"scam(?:med)? me", r"stole", r"stealing", r"theft", r"hacked", r"(?:didn'?t|did not|never) (?:authori[sz]e|approve|agree to)",
        r"disput\w+ (?:the|a|this) charge", r"still (?:being )?(?:charged|billed|charging|billing)", r"(?:keep|keeps|kept) charging",
        # constructions
        rf"(?:charged|billed|debited|taken|took|deducted){_W}(?:since|after) (?:i'?d |we'?d |i |we )?(?:had )?(?:cancel\w*|closed|left|returned|moved to|switched|sent (?:you )?the cancellation)",
        rf"(?:payments?|charges?|transactions?|debits?){_W}(?:never heard of|don'?t recogni[sz]e|not mine|wasn'?t me|didn'?t make)", r"card(?:'s| has| was)? been in my (?:wallet|purse|pocket|hand)",
        r"scammed (?:into|out of|me)", r"(?:pretending|claiming) to be (?:you|from you|your)",
        r"(?:opened|took out|applied for) (?:a |an )?(?:credit card|card|account|loan|phone contract|contract|mortgage) in my name", r"identity (?:theft|fraud)", r"debt collectors?",
        rf"(?:charges?|payments?|debits?){_W}(?:i|we) (?:never|didn'?t|did not) (?:agree|authori[sz]e|make|approve|order)\w*",
        r"never agreed to", r"(?:money|payment|cash|funds) (?:has |have )?(?:left|gone from|came out of|taken from) (?:my|our) (?:bank|account|card)",
        rf"{_AMOUNT}{_W}(?:x ?2|twice|two times|instead of {_AMOUNT})",
        # an unexpected amount on a bill is money; a bill that went up is a price
        rf"bill(?! (?:has |have )?(?:gone|went|going|goes) up)(?! increase)(?! rise){_W}{_AMOUNT}(?! a month| per month| more| extra)", rf"(?:charged|debited|deducted|billed) (?:me |us )?{_W}twice",
        # "...the deposit I sent ten days ago, the landlord says nothing arrived"; a reply
        # that never came is no money
        rf"(?:payout|reimbursement|compensation|cashback|refund|deposit|money|payment|transfer|funds|amount|rent|{_AMOUNT})\w*[^.!?\n]{{0,90}}?(?:still|never|not|nothing|hasn'?t|has not|haven'?t|didn'?t|did not|yet to)\s+(?:\w+ )?(?:arrived|come|landed|received|paid|shown|credited|reflected|reached)(?! (?:a |an |any )?(?:response|reply|answer|call|callback|email|update|message|feedback))",
        r"(?:yet to|still (?:to|haven'?t|have not)) (?:receive|get|see)\w* (?:my |the |our )?(?:refund|money|payout|payment|funds)",
        r"(?:not|never) (?:been )?(?:credited|reflected|refunded|reversed)", r"(?:amount|money) (?:was |got |has been )?debited",
        # more kinds
        r"(?:want|need|get|give me|where(?:'s| is)) (?:back )?(?:my|our) (?:money|refund|deposit|cash)(?: back)?", r"(?:money|deposit) back", r"you owe (?:me|us)",
        r"(?:paid|debited|billed|deducted) (?:me |us )?(?:twice|double|two times|2 times|three times|3 times)",
        r"(?:unexpected|mystery|random|unknown|unrecogni[sz]ed|fraudulent|duplicate|double) (?:charges?|payments?|transactions?|debits?|withdrawals?)",
        r"(?:charges?|payments?|transactions?) (?:i|we) (?:don'?t|do not) recogni[sz]e",
        r"(?:kept|keeping|withholding|holding|hold|won'?t (?:release|return|refund|give back)) (?:onto )?(?:my|our) (?:money|deposit|funds|refund|cash|payout|premium|payment|balance|savings)",
        rf"(?:paid|payment|debited|deducted|charged){_W}(?:never (?:received|arrived|came|got|delivered|issued|sent|confirmed)|not (?:received|credited|delivered|issued)|but (?:the )?(?:order|transaction|booking) (?:was )?(?:cancell?ed|failed))(?! (?:a |an |any )?(?:response|reply|answer|call|callback|email|update|message|feedback))",
        r"(?:still|been) (?:waiting|chasing)[^.!?\n]{0,30}(?:refund|money|payment|reimbursement|payout|deposit)", r"overdraft fees?",
        r"(?:can'?t|cannot|unable to|no) access (?:to )?(?:my|our) (?:own )?(?:money|funds|savings|wages|salary|pension)",
        # money gone without the thing paid for: a machine that kept it, a renewal nobody
        # asked for, a debit that went out twice, an amount or a balance nobody can explain
        r"(?:atm|cash machine|cashpoint|machine)[^.!?\n]{0,40}(?:didn'?t|did not|never|no) (?:give|dispense|pay out|return)",
        r"(?:atm|cash machine|cashpoint|machine|kiosk)[^.!?\n]{0,40}(?:took|kept|swallowed|ate|retained) (?:my )?(?:card|cash|money|notes?|£|\$|€)",
        r"ate my (?:card|money|cash)",
        r"(?:renew\w*|charged|billed|took|taken|debited|deducted|upgraded)[^.!?\n]{0,30}without (?:asking|consent|permission|notice|telling|warning|my (?:consent|permission|knowledge))",
        r"(?:direct debits?|standing orders?|payments?|debits?|charges?) (?:went out|came out|was taken|were taken|collected|taken|processed|gone out) (?:twice|two times|again|double)",
        r"over-?bill\w*",
        r"(?:payment|rent|mortgage|direct debit|transfer|salary)s? (?:has |have )?(?:bounced|returned unpaid|was returned|got returned)",
        r"(?:money|funds|payment|transfer|refund|balance|salary|deposit|withdrawal)s? (?:is |are |has been |have been |was |got )?(?:stuck|on hold|in limbo|held up|frozen|missing)",
        r"(?:account|card|wallet|savings) (?:was |has been |got |is )?(?:drained|emptied|wiped|cleaned out)",
        r"charged (?:my card |me |us )?(?:every|each) (?:day|week|time)", r"charged (?:my card |me |us )?(?:\d+|three|four|five|six|several|multiple) times",
        r"(?:someone|somebody|a stranger|strangers|a random person) (?:has |have )?(?:used|using|took|cloned|spent on) my (?:card|account|details|money)",
        r"transactions? (?:in|from) (?:another|a different|a foreign) country",
        rf"(?:extra|additional|unexpected|random|mystery) {_AMOUNT}", rf"{_AMOUNT} (?:extra|more than (?:quoted|agreed|the quote))",
        r"balance (?:is |shows? |showing |says |went to |now ){0,2}(?:-|minus |negative)",
        r"(?:wallet|balance|account|points|credits?|savings) (?:shows?|showing|says|went to|reset to|wiped to|is at|now at) (?:0|zero|nothing|empty)\b",
        # money sent astray, held back, or never paid out; an amount that is not the price
        r"(?:sent|transferred|paid|sending) [^.!?\n]{0,40}(?:to the wrong|by mistake|to a scammer)",
        r"(?:not|never|didn'?t|won'?t|refus\w* to) refund(?:ed)? (?:my|our|the|me|us)",
        r"(?:salary|salaries|pension|wages?|payout|stipend|benefits?|refund|reimbursement|compensation)(?: \w+){0,5} (?:is |was |has |have )?(?:not|never|still not|still hasn'?t|hasn'?t|has not|haven'?t|have not)\s?(?:been )?(?:credit\w*|received|paid|arrived|gone in|come in|appeared|landed|cleared|reached)",
        r"(?:haven'?t|have not|not|never) (?:yet )?(?:received|got|been paid) (?:my |the |our )?(?:salary|pension|wages)",
        r"deducted [^.!?\n]{0,30}without (?:any )?(?:reason|notice|consent|permission|intimation)",
        r"charged (?:me |us )?(?:a )?(?:different|wrong|extra|higher) amounts?",
        # an amount taken that should not have been, or kept back
        rf"(?:charged|billed|took|taken|debited|deducted|billing|charging) (?:me |us )?{_AMOUNT} (?:for|instead of|from)",
        r"(?:charged|billed|debited|taken) (?:me |us )?(?:\d+|three|four|five|six) times", rf"(?:took|taken|charged){_W}(?:from me|from each|from all)",
        r"cancell?(?:ed|ing)\b[^.!?\n]{0,80}?(?:charged|billed|taken|took|debited|deducted|billing|charging|direct debits?)",
        rf"(?:the|my|our) {_AMOUNT} back", rf"(?:release|refund|return|give back|pay back|reimburse) (?:me |us )?(?:the |my |our )?{_AMOUNT}",
        rf"still no (?:{_AMOUNT} )?(?:refund|money|payment|payout)", rf"(?:what|why) (?:is|'s) (?:the|this|that) {_AMOUNT}",
        r"(?:payment|claim|settlement|payout|reimbursement)[^.!?\n]{0,30}(?:still )?(?:hasn'?t|has not|not|never) been (?:released|paid|sent)",
        r"(?:never|didn'?t|did not) (?:add|added|sign(?:ed)? up|subscribe[d]?|ask(?:ed)? for|agree[d]? to)", rf"(?:signed|subscribed) (?:me|us) up{_W}without",
        # money that left and never arrived, kept back, taken against what was agreed
        r"(?:went|gone|came|come|left|taken) (?:out )?(?:of|from) (?:my|our) (?:account|bank|card|wallet)", r"left (?:my|our) (?:account|bank)",
        r"(?:keep|keeps|kept|still) (?:taking|debiting|deducting|collecting) (?:my |our |the |a |an )?(?:\w+ )?(?:money|payments?|fees?|charges?|subscriptions?|[£$€₹]|\d|membership|premium|emi|instal?lments?|direct debits?|amounts?|from (?:my|our|me|us))",
        r"(?:payout|refund|reimbursement|compensation|salary|wages|pension)s? (?:is |are |was |has been )?(?:\w+ ){0,3}(?:late|overdue|outstanding)",
        r"card (?:was |has been |got |had been )?(?:cloned|skimmed|compromised|copied)", rf"(?:liable|responsible) for (?:the )?{_AMOUNT}",
        rf"(?:charged|billed|fined|debited|took|taken|deducted|fees?|penalty|penalties|surcharges?)\b{_W}(?:even though|despite|although) (?:i|we|it)\b",
        r"(?:billed|debited|invoiced) (?:me |us )?for (?:a |an |the |my |our )?(?:\w+ ){0,4}(?:i|we) (?:had )?(?:cancel\w*|returned|never (?:ordered|received|used|got|booked))",
        rf"(?:took|charged|billed|deducted|taken|cost) (?:me |us )?(?:\d+ ?%|{_AMOUNT}) more than", r"(?:double|twice|triple) (?:the|what (?:you|they|it)) (?:estimate|quote|quoted|price|advertised|said)",
        r"(?:money|funds|balance|savings|cash)(?: has| have|'s)? (?:vanished|disappeared|gone missing) (?:from|out of)", r"(?:still|then|and) took (?:the |my |our )?(?:\w+ )?(?:payment|money|deposit|fee|balance)", r"more than (?:the |what )?(?:you |they )?(?:quoted|agreed|advertised)",
    ),
    "outage": alternatives(
        # "the renewal went down" is a price, not a service
        r"(?<!price )(?<!prices )(?<!renewal )(?<!premium )(?<!cost )(?<!costs )(?<!bill )(?<!rate )(?<!rates )(?<!fee )(?<!fees )(?<!weight )(?<!swelling )(?<!temperature )(?:is|are|been|went|goes|was|were|all|completely|totally|still|'s|s) down",
        r"(?<!marked )(?<!turned )(?<!let )(?<!put )(?<!slow )down (?:since|for|again|all|everywhere)", r"(?:app|site|website|servers?|service|system|network|kiosks?)'?s? (?:is |are |been )?down",
        r"down for everyone", r"outages?", r"can'?t (?:take|accept|process) (?:card |any )?(?:payments|cards?|contactless)", r"none of (?:your|the|our) \w+(?: \w+){0,4} (?:(?:are|is) working|(?:can|will|could) (?:take|accept|process|load|connect|open))",
        r"(?:throw\w*|giv\w*|return\w*|get\w*|show\w*) an? (?:500|502|503|504)\b", r"(?:error|http) (?:500|502|503|504)\b", r"(?:no|zero) (?:internet|signal|service|data|connection|power|calls)",
        r"sos only", r"can'?t (?:even )?(?:log ?in|sign in|access|connect|get (?:in|to|on))",
        r"cannot (?:log ?in|sign in|access|connect)", r"unable to (?:log ?in|access|connect)",
        r"error (?:code )?\w*-?\d{3}", r"(?:http|status|code) [45]0\d", r"[45]0\d (?:errors?|page|response|bad gateway|service unavailable)", r"[45]0\ds\b", r"timing out", r"timed? out",
        r"(?:payments?|cards?|checkout|transactions?) (?:\w+ )?(?:failing|failed|declin\w*)",
        r"(?:failing|erroring) (?:all|every|since)", r"crash(?:es|ing)? (?:on|every) (?:open|launch|start)\w*",
        r"won'?t (?:load|open|start|connect)", r"every single (?:show|title|page|film|game|video|song|episode)",
        # wider vocabulary
        r"not working at all", r"(?:app|site|website|(?:payment |checkout |login )?page|service|server|network|system|portal|checkout|payments?|internet|wifi|broadband) (?:is |are |keeps |has been )?(?:not working|broken|crashing|offline|unavailable|dead)",
        r"offline(?! mode| maps| play| downloads?| access| version| feature)", r"can'?t (?:connect|load|stream|pay|check ?out|place an order)",
        r"(?:no|lost|zero) (?:wifi|wi-fi|broadband|connection|coverage|reception|network|dial tone)",
        r"won'?t (?:let me )?(?:log ?in|sign in|connect|load|open)", r"(?:keeps|kept) (?:crashing|failing)",
        r"unusable", r"nothing (?:works|is working|loads)",
        # constructions
        rf"{_SERVICE} (?:has been |have been |is |are |'s |s |been |went |was |keeps going |goes )?(?:out|off|dead|gone|offline|down)\b(?! of)",
        r"(?:out|dead|offline) (?:since|for (?:\d|over|hours|days|a))",
        r"(?:fails?|failing|failed|errors?|erroring|crash\w*) (?:every (?:single )?time|each time|at (?:the )?(?:payment|checkout|login|log in|sign in))",
        r"(?:can'?t|cannot|unable to|won'?t let (?:me|us)) (?:get )?past the (?:loading|login|log ?in|sign ?in|title) (?:screen|page)",
        r"(?:locked|kicked) (?:out of|us out of|me out of) (?:our|my|the) (?:workspace|account|org\w*|app|dashboard)",
        r"(?:nothing|none of (?:our|my|the) \w+) (?:will |would |wants to )?(?:load|play|open|work)s?",
        # more kinds
        r"(?:service|server|site|page|app|system) (?:is )?(?:temporarily )?unavailable", r"(?:blank|white|black) screen",
        r"(?:stuck on|frozen on|won'?t get past) (?:the )?(?:loading|splash|logo|login|sign-?in) (?:screen|page)?",
        r"(?:not (?:getting|receiving)|can'?t (?:get|receive)|never (?:get|got|received)) (?:the |my |any )?(?:otps?|codes?|verification codes?|sms|texts)",
        r"(?:netbanking|net banking|upi|online banking|mobile banking|card machine|terminal) (?:is |are |has been )?(?:not working|down|failing|offline)",
        r"without (?:any )?(?:signal|service|internet|wi-?fi|power|network|broadband|data|a phone line|phone service)", r"can'?t (?:call|text|make calls|send texts|call or text)",
        r"(?:just|keeps?|still) spin(?:s|ning)", r"spinning wheel", r"(?:none of|no) (?:our|my|the) \w+ (?:have|has) (?:sent|gone out|loaded|synced|gone through|arrived)",
        r"crash(?:es|ing)? (?:the (?:second|moment|minute)|as soon as|when) (?:it |i )?(?:opens?|launch\w*|start\w*|open it)",
        r"(?:nobody|no one|none of us) (?:on|in|at) (?:our|my|the) (?:team|office|company|house|street|building|floor|school) can",
        r"(?:nobody|no one|no-one|none of us)(?: \w+){0,4} (?:has|have) had (?:any )?(?:broadband|internet|wi-?fi|power|electricity|signal|service|water|gas|heating|tv)",
        rf"something went wrong{_W}(?:every|each|all|again)", r"on every (?:card|device|browser|phone|attempt|try|account)",
        r"(?:customers|people|nobody|no one|no-one) can'?t (?:buy|pay|order|check ?out|log ?in|book|get in)",
        r"(?:emails?|messages?|texts?|payments?|orders?|calls?) (?:aren'?t|are not|isn'?t|is not|won'?t|not) (?:sending|going (?:out|through)|delivering|coming through)",
    ),
    "legal": alternatives(
        r"lawyers?", r"attorneys?", r"solicitors?", r"legal action", r"su(?:e|ing) (?:you|them)",
        r"lawsuit", r"class action", r"small claims", r"(?:in|to|see you in) court", r"ombudsman", r"tribunal",
        r"(?:my|our|the local|local) (?:mp|congressman|congresswoman|senator|councillor|assemblymember|state rep(?:resentative)?)",
        r"regulators?", r"ftc", r"fcc", r"cfpb", r"fca", r"asa", r"ico", r"bbb", r"ofcom", r"ofgem",
        r"better business bureau", r"trading standards", r"consumer (?:protection|rights)",
        r"attorney general", r"formal complaint", r"hipaa", r"gdpr", r"coppa", r"ada",
        r"(?:it'?s|that'?s|this is|thats) illegal", r"against the law", r"breaks? (?:the law|\w+ law)",
        r"violat\w+ (?:of )?(?:my|the|hipaa|gdpr|ada|coppa|law)", r"subject access request",
        r"report(?:ed|ing)? (?:you|this|it|them) to", r"filing a (?:formal )?complaint",
        # wider vocabulary
        r"unlawful\w*",
        r"(?:equality|disability|discrimination|consumer rights|data protection|fair housing|civil rights|accessibility|disabilities) act",
        r"su(?:e|ing)", r"(?<!food )court", r"legal", r"discriminat\w*", r"(?:data|privacy|security) breach(?:es)?", r"advertising standards", r"standards authority", r"breach(?:ed)? (?:of )?(?:my|the) \w+",
        r"watchdog", r"consumer (?:affairs|council|board|group)", r"report(?:ed|ing)? (?:this |you |it |them )?to the (?:police|authorities|council|state)",
        r"police report", r"my rights",
    ),
    "press": alternatives(
        r"journalists?", r"reporters?", r"for (?:a|the|my) (?:piece|story|article|column|review|video)",
        r"piece i'?m writing", r"i write (?:the|a|for)", r"\w+ column", r"going in(?:to)? (?:the|my) (?:review|video|article)",
        r"my (?:\d[\d,.]*\s?[km]? )?(?:readers|viewers|subscribers|listeners|audience|podcast)", r"(?:on|to) my channel", r"on (?:my )?stream",
        r"the press", r"(?:the|local|tv|evening|national) news", r"newspapers?", r"news (?:desk|outlets?|station|channel)", r"tv station", r"going viral",
        # wider vocabulary
        r"my (?:followers|following)", r"(?:blog|video|thread|story|article|tiktok|youtube) about (?:this|you|it)",
        r"going public", r"(?:tv|media) (?:station|outlet)", r"influencer", r"content creator",
        # constructions
        r"writ(?:e|ing) (?:up |about )(?:my|this|it|the|you)", r"(?:travel|money|consumer|business|tech) (?:section|desk|pages?)",
        r"my (?:newsletter|column|readers)", r"for (?:the|a|my) (?:paper|newsletter|podcast|magazine)",
    ),
}
