# ruff: noqa: E501 -- lexicons: one alternative per string reads better than split regexes
"""The vocabularies the decision reads posts with (``reading.read`` applies them).

Kinds of words, not phrases of any one post: how people write a problem, praise, a
resolution, a request, news or spam, and the small words that turn a cue around
(negation, hypotheticals, idioms, contrast). What is at stake (a situation per urgency
reason) is in :mod:`listener.decisions.situations`, built with the same two helpers.
"""

from __future__ import annotations

import re

__all__ = [
    "ASKS_OTHERS",
    "CLAUSE",
    "CLOSING_PRAISE",
    "CONTRAST",
    "HYPOTHETICAL",
    "IDIOM",
    "NEGATORS",
    "NEWS",
    "NOT_YET",
    "NO_LONGER",
    "OTHER_TARGET",
    "OWN_QUESTION",
    "PERSONAL",
    "POLITE",
    "POSITIVE_TURN",
    "PRAISE",
    "PRESUPPOSED",
    "PROBLEM",
    "PROBLEM_MARKS",
    "REQUEST",
    "RESOLVED",
    "SARCASM",
    "STOPPED",
    "THREAT_AFTER",
    "WEAK_PRAISE",
    "WISH",
    "alternatives",
    "extended",
    "lowered",
]


def lowered(text: str) -> str:
    """``text`` in lower case, one character for each of its characters: what every
    pattern here matches.

    The patterns are case-sensitive on purpose: ``re`` skips a branch of an alternation
    fast only when it starts with an exact literal, so a case-insensitive alternation of
    hundreds of words costs about three times as much, on every post.
    """
    low = text.lower()
    if len(low) == len(text):
        return low
    # "İ" lowers to "i" and a combining dot; spans must line up with the text as written.
    return "".join(c.lower()[0] for c in text)


def _compile(source: str) -> re.Pattern[str]:
    """``source`` compiled to match :func:`lowered` text: literals lowered, escapes kept."""
    out, i = [], 0
    while i < len(source):
        if source[i] == "\\":  # an escape (\S, \W, \d) keeps its case: its meaning
            out.append(source[i : i + 2])
            i += 2
        else:
            out.append(source[i].lower())
            i += 1
    return re.compile("".join(out))


def alternatives(*options: str) -> re.Pattern[str]:
    """One pattern matching any of ``options`` as whole words, in :func:`lowered` text."""
    return _compile(r"(?<![\w@])(?:" + "|".join(options) + r")(?!\w)")


_N = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|many|few)"
_DURATION = rf"{_N}\+?\s*(?:mins?|minutes?|hrs?|hours?|days?|weeks?|wks?|months?)"



def extended(pattern: re.Pattern[str], *more: str) -> re.Pattern[str]:
    """``pattern`` (built by :func:`alternatives`) with ``more`` options."""
    inner = pattern.pattern[len(r"(?<![\w@])(?:") : -len(r")(?!\w)")]
    return alternatives(inner, *more)


# -- stance ------------------------------------------------------------------------------

PROBLEM = alternatives(
    # repeats, waits and durations
    r"(?<!works )(?<!working )again", r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time", r"every (?:single )?(?:time|week|day|month)",
    r"in a row", r"yet again", rf"(?<!\bin )(?<!within )(?<!under )(?<!only )(?<!every )(?<!in like )(?<!spent )(?<!saved )(?<!saves )(?<!save ){_DURATION}(?!\s+(?:early|ahead|off|ago|to spare|helping|of (?!waiting|hold|delays?|this|no|nothing|being|calls|chasing)|and (?:i|we) (?:was|were) (?:back|done|home|sorted|on)))",
    r"still (?:no|not|waiting|nothing|says|shows|broken|down|stuck|pending|charging|processing|sending|missing|refusing|without|getting|having|the same|on hold|arriv\w*|happening|\w+n'?t)", r"since (?:\w+ )?(?:\d|last|yesterday|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december|this|the)",
    r"straight", r"waiting", r"waited", r"on hold", r"queue", r"delay\w*", r"late", r"(?:no|zero) (?:reply|response|answer|callback|call|show|warning|notice|one)",
    r"nobody", r"no one", r"never", r"ignor\w*", r"(?:hasn'?t|haven'?t|hasnt|havent|didn'?t|didnt|doesn'?t|doesnt|won'?t|wont|can'?t|cant|isn'?t|isnt|wasn'?t|aren'?t|not) (?!(?:a |one |any )?(?:single )?(?:problems?|issues?|worry|worries|complaints?|faults?|hitch|hiccups?)\b|thank|recommend|fault|complain|wait\b|beat|stop (?:smiling|using)|(?:gonna |going to )?lie\b|bad\b|get enough|stop \w+ing|believe how (?:fast|quick|good|easy|cheap|nice|well|great|smooth|friendly|helpful|kind))\w+",
    r"all over the place", r"already (?:a|broken|broke|cracked|scratched|stopped|dead)", r"apparently",
    # things gone wrong
    r"broke\w*", r"snapp\w*", r"crack\w*", r"died", r"dead", r"faulty", r"defect\w*", r"damaged", r"rattl\w*",
    r"crash\w*(?! tests?)", r"fail\w*", r"error\w*", r"bug\w*", r"glitch\w*", r"stopped", r"stuck", r"missing",
    r"lost", r"wrong", r"instead", r"(?<!noise )(?<!noise-)cancel\w*", r"changed", r"moved", r"removed", r"refus\w*",
    r"charged", r"fees?", r"surge", r"price", r"overpriced", r"went up", r"goes up", r"raising", r"refund\w*",
    r"out of order", r"logs? me out", r"kick\w* me", r"dropped", r"pilling", r"cold", r"soggy", r"limp", r"squashed",
    r"substitut\w*", r"replac\w+ my", r"got (?:the wrong|someone else'?s|regular|an? (?:broken|damaged|used|wrong|different|empty|half))", r"received?", r"receiving", r"left my", r"tried to",
    r"takes? (?:like )?\d+", r"slow", r"laggy", r"throttl\w*", r"outage", r"unavailable", r"expired",
    r"verif\w+ (?:my|again)", r"upload", r"transfers?", r"told me", r"shouted", r"rolled (?:her|his|their) eyes", r"rude",
    # reproach and frustration
    r"why", r"how is", r"explain", r"fix", r"sort (?:it|this)", r"please", r"pls", r"asap", r"help", r"hello\?+",
    r"ridiculous", r"unacceptable", r"useless", r"terrible", r"awful", r"horrible", r"worst", r"joke", r"nightmare",
    r"hideous", r"ugly", r"shady", r"disgust\w*", r"annoy\w*", r"frustrat\w*", r"disappoint\w*", r"hell", r"mess",
    r"unreal", r"criminal", r"(?:becoming|become|is) a (?:pattern|habit|regular thing)", r"keeps happening", r"shame (?:about|that)", r"not ok", r"come on", r"seriously", r"wtf", r"smh", r"ffs", r"expected better",
    r"make it make sense", r"lost (?:their|your) minds", r"punishment", r"impossible", r"confusing", r"upsetting",
    r"deleting the app", r"wont be buying", r"won'?t be (?:buying|back|using)", r"never (?:again|flying|buying|using)",
    r"apparently", r"defeats the point", r"some of us", r"is anyone", r"anyone else", r"what (?:is|am) (?:going on|i supposed)",
    r"thanks for nothing", r"mad", r"extortionate", r"steep", r"trying to", r"yet to", r"keeps? (?:saying|telling|asking|failing|spinning|crashing|disconnecting|dropping|freezing|logging|kicking|buffering|restarting|rebooting|resetting|declining|rejecting|sending|cancell?ing|loading|timing out)",
)
#: Marks that need no word boundary: emoji, "??", and the brand's own words in scare
#: quotes ("arriving today" for 4 days), which praise rarely uses.
PROBLEM_MARKS = re.compile(r"🙃|🙄|😡|😤|🤬|😩|😕|😠|👎|😒|\?\?+|!!+|\"[^\"]{2,40}\"")
#: Praise words said the other way round ("love that for me 🙃", "oh great,").
SARCASM = _compile(
    r"🙃|🙄|^great,|\b(?:love (?:how|that for me|it when)|oh (?:great|good|joy|wonderful)|cool cool"
    r"|what a time to be alive|nothing says|would recommend if|feeling valued|very thoughtful"
    r"|simply incredible|gotta love|just what i needed|thanks for the (?:\d+(?:st|nd|rd|th)|third|fourth)"
    r"|for the (?:\d+(?:st|nd|rd|th)|third|fourth|fifth) (?:time|\")|really great stuff|cheers for the"
    r"|thanks? (?:you )?(?:so much |a lot )?for (?:\w+ ){0,3}(?:nothing|wasting|ruin\w*|unhelpful|useless|ignoring|losing|leaving|making me|cancel\w*|the (?:delay|wait))"
    r"|(?:impressive|amazing|great|stellar) (?:consistency|work|job|service)(?: honestly| as always)?[.!]*\s*$)")
#: Short praise closing a list of problems is sarcasm ("…the call dropped. love it").
CLOSING_PRAISE = _compile(
    r"(?:^|[.!?;,]\s*)(?:love it|lovely[^.!?]*|great|fun|cool|nice|brilliant|fantastic|perfect|amazing"
    r"|awesome|classic|wonderful|super|good times|great stuff)[.!?\s]*(?:\S{1,2})?\s*$")
#: The author says the alarming words are good news ("…in a good way").
POSITIVE_TURN = alternatives(r"in a good way", r"not complaining", r"no complaints", r"(?:i'?m|we'?re) fine")
#: The author in the post: a first- or second-person word. A post about the brand with
#: none of them, not addressed to it, is a report ("X recalls 8,000 power banks over
#: overheating"), not the author's case.
PERSONAL = alternatives(
    r"i", r"i'?m", r"im", r"i'?ve", r"i'?d", r"i'?ll", r"me", r"my", r"mine", r"myself", r"we",
    r"we'?re", r"we'?ve", r"our", r"ours", r"us", r"you", r"your", r"you'?re", r"yours", r"u", r"ur",
)
#: Thanks that close a request or a complaint ("… can you check? thank you"): politeness.
POLITE = alternatives(r"(?:any |much |advice |help )?appreciated", r"thanks?(?: in advance| so much| a lot)?", r"thank you(?: in advance| so much)?", r"thx", r"ty", r"tia", r"cheers", r"🙏", r"regards", r"genuinely", r"wow")
#: Praise words that, beside a problem, describe it or set its tone instead ("the
#: cartridge is brand new", "quick question", "account gone lmao"): dropped then.
WEAK_PRAISE = alternatives(
    r"brand new", r"lol", r"lmao+", r"haha\w*", r"😂", r"🤣",
)
#: A wish for what is missing ("would love it if you could get my wife home", "it'd be
#: nice to get an answer"): its praise word is not praise.
WISH = alternatives(
    r"(?:would|'d|it'?d) (?:be )?(?:so |awfully |really |very )?(?:love|like|nice|lovely|great|appreciated|helpful|good)",
)
#: A question to the brand about the author's own case ("…on my ps4, is there a fix?").
OWN_QUESTION = _compile(r"(?:^|[.!?\n])[^.!?\n]*\b(?:i|i'?m|i'?ve|my|me|we|our|us|mine)\b[^.!?\n]*\?")
#: A legal cue followed by what the author will do is a threat, even after an "if".
THREAT_AFTER = _compile(r"\s*(?:will|'ll|is going to|are going to|gets?|hears?|is getting|shall|has (?:a|been))\b")
#: A question anyone could answer, not one about the author's own case.
ASKS_OTHERS = alternatives(
    r"anyone (?:here |else )?(?:know|tried|driven|used|been|recommend)\w*", r"worth it",
    r"is \S+ legit", r"what'?s the difference between", r"do you (?:still )?(?:do|sell|have|stock)", r"what time do", r"who'?s coming",
)
#: Praise worded as a negation, read as praise (``PRAISE``) and kept from the problems
#: (``IDIOM``): "please never take it off the menu", "never had a reason to leave".
_KEEP_IT = r"(?:please )?never (?:take (?:it|this|them|that) (?:off|away)|stop (?:making|selling|doing)|change (?:it|this|a thing))"
_NEVER_HAD = r"never had (?:a|an|any) (?:problem|issue|reason to (?:leave|complain|switch)|complaint)"
#: Hyperbole of the happy kind, praise in alarm words: "it's criminal how good these are",
#: "I'd die for your garlic bread", "can't stop ordering", "not me buying a third one",
#: "you're stuck with me".
_HAPPY_HYPERBOLE = "|".join((
    r"(?:criminal|ridiculous|illegal|insane|unreal|obscene|sinful|rude|unfair|dangerous|wild|crazy|scary) how (?:good|great|fast|cheap|easy|tasty|comfy|comfortable|nice|well|quick|soft|addictive|cute|pretty|delicious)",
    r"(?:ridiculously|criminally|stupidly|obscenely|dangerously|disgustingly) (?:good|tasty|comfy|comfortable|cheap|fast|cute|addictive|delicious)",
    r"(?:i'?d|i would|would) (?:die|kill|sell my soul) for", r"to die for",
    # only the happy habits: "can't stop bleeding" or "not me getting charged twice" stay
    r"can'?t stop (?:ordering|eating|buying|watching|listening to|playing|using|smiling|laughing|thinking about|binge?ing|wearing|reading|snacking on|recommending|telling (?:everyone|people))",
    r"not me (?:buying|ordering|eating|watching|adding|booking|binge?ing|spending|treating myself)", r"(?:you'?re|you are|y'?all are) stuck with (?:me|us)",
    r"(?:dangerous|bad|terrible|deadly) (?:for|to|on) (?:my|our|the) (?:bank balance|wallet|bank account|waistline|diet|savings|purse)",
    r"(?:i'?ll|i will|i'?d|i would) fight (?:anyone|anybody|someone|you)",
))
PRAISE = alternatives(
    r"thanks?", r"thank you", r"thx", r"ty", r"cheers", r"love", r"loving", r"loved", r"great", r"amazing",
    r"awesome", r"brilliant", r"perfect\w*", r"best(?! (?:way|option|time|place|number|bet)s?\b)", r"excellent", r"fantastic", r"superb", r"impress\w*",
    r"well done", r"kudos", r"shout ?out", r"credit where", r"legends?", r"(?:a|absolute|total) gem", r"faith restored", r"bang on", r"spot on", r"hero(?:es)?", r"lifesaver", r"obsessed",
    r"slaps", r"top notch", r"can'?t complain", r"grateful", r"so (?:good|kind|nice|pretty|soft|easy|fast)",
    r"lovely", r"nice", r"pretty(?! (?:please|much|sure|bad))", r"easy(?! way)", r"smooth", r"early", r"on time", r"quick(?:ly)?(?! (?:question|answer|one|reply|look))", r"fast",
    r"zero issues", r"no issues", r"going strong", r"more of this", r"give (?:that|her|him|them) a raise",
    r"fair play", r"5 stars", r"10/10", r"give (?:that|the) \w+ a raise", r"genuinely", r"finally", r"enjoy\w*", r"happy", r"glad", r"wow",
    r"crushing it", r"killing it", r"killed it", r"insane(?:ly)?", r"incredible", r"beautiful", r"stunning",
    r"felt (?:very )?safe", r"built like a tank", r"night and day", r"the future", r"sorcery", r"teleport",
    r"treat", r"not (?:a|one) single (?:problem|issue|worry|complaint|fault|hiccup)", r"can'?t (?:thank|recommend|fault) (?:\w+ )?(?:enough|highly enough)?",
    r"above and beyond", r"so patient", r"(?:no|zero) (?:fuss|nonsense|hassle|upsell|drama|faff)", r"how it should be", r"rapid",
    r"calm(?:est)?", r"easiest", r"lasts? (?:forever|all day|for days|for ages|ages)",
    _KEEP_IT, r"best (?:bit|part)", r"highlight of", r"brand new", r"saved (?:my|me|us|the day)", r"should be illegal", r"daylight robbery", r"call the police", r"dead serious",
    r"scary (?:fast|good)", r"killer (?:deal|price|app|feature|setup|combo)", r"(?:is|so|was|straight) fire", r"witchcraft", r"🔥", r"😍", r"🥹", r"🙏", r"❤️?", r"💕", r"😊", r"🥰", r"👌", r"💯", r"🎉", r"✨",
)
PROBLEM = extended(
    PROBLEM,
    r"(?<!no )(?<!zero )(?<!any )issues?", r"(?<!no )(?<!zero )(?<!any )problems?", r"trouble", r"complain\w*",
    r"bad", r"poor(?:ly)?", r"sucks?", r"trash", r"garbage", r"rubbish", r"crap\w*", r"shit\w*",
    r"pathetic", r"disgrace\w*", r"shameful", r"absurd", r"rip ?off", r"fed up", r"sick of", r"tired of",
    r"done with", r"unhappy", r"upset", r"angry", r"furious", r"livid", r"annoyed", r"lied", r"lying",
    r"misled", r"misleading", r"fake", r"hung up", r"overdue", r"hasn'?t (?:arrived|come|shown)",
    r"unprofessional", r"incompetent", r"ugh+", r"nightmare", r"scam\w*",
    # a thing that worked and is gone ("campsite is no longer there"); before a problem
    # ("no longer charging me twice") it is a resolution instead (``STOPPED``)
    r"no longer", r"disappear\w*", r"disconnect\w*", r"(?:to|with) (?:someone|somebody) else", r"someone else'?s",
    r"(?:reads?|shows?|charg\w+|bill\w*) (?:double|twice|triple)", r"promised", r"(?:i|we) (?:was|were) told", r"rings? out",
    r"drove (?:straight )?(?:past|off)", r"still (?:seeing|showing|getting)", r"unhelpful", r"wast(?:e|ed|ing)", r"(?:making|made) (?:me|us) miss", r"still (?:sitting|sat)", r"buffer\w*", r"freez(?:es|ing)(?! cold)", r"(?:will|would|keeps?|it|app|screen) freeze", r"latency", r"(?:so|i'?m|im) done",
    # what was asked for and what came: "asked for no onions, got all the onions"
    r"(?:asked for|ordered|booked|paid for|requested|chose|picked)(?: \w+){1,5},? (?:and |but )?(?:got|received|was given|(?:they|you) (?:gave|sent) (?:me|us))",
    r"(?:is|was|were|are|'s) (?:closed|shut)(?! (?:on|at) (?:sundays?|weekends?|\d))", r"(?<!from )scratch(?:ed|es)?\b", r"dented", r"chipped", r"stained", r"torn", r"ripped",
    r"(?:took|taking|take) (?:us |me )?the long way",
)
PROBLEM_MARKS = re.compile(PROBLEM_MARKS.pattern + r"|😞|😢|😭|🤦|😑|💔")
PRAISE = extended(
    PRAISE,
    r"appreciate\w*", r"helpful", r"recommend\w*", r"delicious", r"tasty", r"yum\w*", r"gorgeous",
    r"cute", r"excited", r"can'?t wait", r"proud", r"congrat\w*", r"bravo", r"(?<!any )(?<!some )(?<!what )(?<!this )kind(?! of)", r"friendly",
    r"sweet", r"pleased", r"satisfied", r"joy", r"wonderful", r"worth it", r"solid", r"reliable",
    r"seamless", r"painless", r"hassle[- ]free", _NEVER_HAD,
    r"worth (?:the wait|every (?:second|penny|minute|cent|pound))",
    r"(?:what|such) an? (?:star|gem|legend|champion)", r"super ?star", r"five stars",
    r"(?:5|five) stars? (?:isn'?t|is not|aren'?t|are not) enough", r"props to", r"hats off", r"mvp",
    r"life ?savers?", r"came through", r"nailed it", r"top marks", r"chef'?s kiss", r"faultless",
    r"flawless(?:ly)?", r"blown away", r"game ?changer", r"smashed it", r"you rock", r"no notes",
    r"made my (?:day|week|year|morning|night)", r"in and out in", r"addictive", r"bliss(?:ful)?", r"no (?:queues?|lines?|wait)\b(?! (?:time )?(?:for|to|information))",
    _HAPPY_HYPERBOLE,
    r"lol", r"lmao+", r"haha\w*", r"👍", r"🙌", r"😂", r"🤣", r"💪", r"🥳", r"😁", r"😄",
)
RESOLVED = alternatives(
    r"works again", r"(?:it|they|things|both|all|now) work again", r"working again",
    r"(?:is|are|'s|s|it'?s|we'?re|signal'?s|internet) (?:so )?back(?! to)(?: up| on| online)?",
    r"back online", r"(?:already |all |got it |has been |was |been )fixed", r"fixed (?:every|all (?:the |my )?|the|my) (?:issues?|problems?|bugs?|crash\w*)", r"fixed[!.,]", r"sorted(?: it| now)?[!.,]?",
    r"(?:all )?sorted", r"resolved", r"(?:payment|transfer|refund|order|transaction|it|booking|deploy)s? (?:finally )?went through", r"(?:refund|money|payment|it) (?:has )?(?:landed|arrived|came through|cleared)",
    r"got my (?:refund|money)", r"(?<!\bone )(?<!\bones )(?<!else's )(?<!elses )(?:turned|showed) up(?! (?:at \d|late|\d+ (?:hours?|mins?|minutes?) late|hours late|instead))", r"un(?:blocked|frozen|locked|suspended)", r"reinstated", r"reactivated", r"restored",
    r"got there in the end", r"we got there(?! at| \d| and (?:were|was|they|it was))", r"(?:is|'s|are) (?:all )?over(?=\s*(?:[.!,;]|$|now\b|and (?:done|we|i)\b))", r"(?:all )?working now", r"back to normal",
    r"better than (?:before|ever)", r"ignore my (?:last|earlier|previous|other) (?:tweet|post|message|dm)", r"my bad", r"user error",
    r"(?:was|it was|my) (?:my |me |own )?(?:fault|mistake)", r"found my(?! (?:email|account|password|login|details|info|data|number|address|card details))", r"all good(?: now)?", r"panic over",
    r"false alarm", r"thanks for (?:sorting|fixing|escalating|chasing|the quick)",
    r"thank you for (?:sorting|fixing|escalating|chasing)", r"sorry for the (?:angry|rant)",
    # "thx to the rep Alex for his patient help rebooking the cancelled flight": thanks to
    # someone for help already given tell a story that ended well.
    r"(?:thanks?|thx|shout ?out|kudos|props) (?:you )?to (?:\w+ ){1,6}for (?:(?:his|her|their|all (?:the|your|their)|the|your) )?(?:\w+ )?(?:help(?:ing)?|assistance|going above|getting (?:us|me)|re-?book\w*|sorting|fixing|looking after|taking care)",
)
#: What "no longer" may be followed by when it ends a problem ("no longer charging me
#: twice", "no longer an issue"), besides a problem word.
STOPPED = _compile(
    r"\s*(?:being |getting |having )?(?:charg\w*|bill\w*|debit\w*|an? (?:issue|problem|worry)|happening"
    r"|crash\w*|freez\w*|lagg?\w*|stuck|broken|down|locked|blocked|suspended|frozen|overdrawn)\b")
NO_LONGER = _compile(r"\bno longer\b")
#: Wanting it fixed is not having it fixed ("need this fixed today", "when will it be back").
NOT_YET = _compile(
    r"(?:need|needs|get|getting|want|please|pls|be|yet|until|when|if|to|will|should|must|can|could|not|never|isn'?t|hasn'?t|haven'?t|havent|hasnt|didn'?t|didnt|still|waiting for|hopefully|hope|soon as|once|said|says|claimed|supposedly)\s+(?:\w+\s+){0,2}$")
REQUEST = alternatives(
    r"how (?:do|can|should|would) (?:i|we)", r"how to", r"can (?:i|we|you|someone|somebody|anyone at)",
    r"could (?:you|someone|somebody)", r"would you", r"is there (?:a|any) (?:way|option|incident|outage|problem)",
    r"is there an (?:incident|outage|issue)", r"where (?:do|can) (?:i|we)", r"who do (?:i|we)",
    r"what (?:do|should) (?:i|we)", r"what should i do",
    r"is (?:it|this|that|the \w+(?: \w+){0,2}) (?:safe|ok|okay) to", r"any help", r"(?:dm'?d|dmed|messaged|dming|sent) you",
    r"sent you a dm", r"please (?:check|help|look|advise|update|lock|call|contact|send)", r"can someone",
    r"need (?:help|to (?:change|cancel|update|move|fix|know))", r"is it possible (?:to|for (?:me|us))",
    r"do (?:i|we) (?:need|have) to", r"what can (?:i|we) do", r"please (?:advise|assist|respond|reply|dm)",
    r"(?:can'?t|cannot|unable to) (?:find|figure out|work out) how", r"(?:any|need) (?:advice|assistance|support)",
    r"how (?:long|much|many) (?:do|does|will|would|should) (?:i|we|it)", r"is there (?:any ?way|anyway)",
    r"any idea (?:why|how|when|what|where)", r"when (?:do|will|can|should) (?:i|we) (?:receive|get|see|expect|hear)",
    r"(?:want|like|need) to know (?:if|how|why|when|whether|what)", r"what'?s the best way to", r"(?:i )?(?:have|got) a question",
    r"(?:are|is) (?:you|u|y'?all|it|the \w+) (?:guys )?(?:down|having (?:issues|problems|an outage)|not working)",
    r"are there (?:any )?(?:service |known )?(?:issues|problems|outages)", r"(?:i was |i'?m )?wondering if (?:i|we|you) (?:can|could)", r"(?:i'?m|i am|we'?re|we are) having (?:problems|issues|trouble)", r"(?:i|we) (?:want|would like|'d like) to (?:cancel|change|close|transfer|move|delete|report|know)",
)
NEWS = alternatives(
    r"breaking(?=:| news)", r"^breaking", r"according to", r"says the press release", r"press release", r"announces?", r"announced",
    r"reports? say", r"court filings", r"faces? (?:a )?(?:class action|lawsuit|fine|probe)", r"to be contacted",
    r"seen by", r"link in (?:bio|my bio)", r"use (?:my )?code", r"promo code", r"\d+% off (?:your|everything|all|sitewide|today)", r"giveaway",
    r"free \w+ for life", r"verify (?:now|your account) at", r"dot (?:net|com)", r"click (?:here|the link)",
    r"customers:", r"drivers!+", r"blog", r"via @\w+", r"citing @?\w+", r"@\w+ reported", r"if anyone'?s",
)
#: The brand set against the real target of the negativity ("…but at least @brand…").
OTHER_TARGET = alternatives(
    r"at least(?!\s+(?:\d|(?:one|two|three|four|five|ten|a few|a couple|once|twice|half|with|for|in|on|when|if)\b))", r"(?:the )?only (?:thing|one) (?:going right|that works|keeping me sane)", r"only good thing", r"thank god for", r"saved by", r"switched (?:\w+ )?to", r"moved (?:everything |it all |my \w+ )?(?:over )?to", r"carrying", r"still made it",
    r"nobody to blame", r"(?:my|the) (?:old|previous) (?:bank|provider|phone|car|airline|company)",
    r"i'?m fine", r"(?:i|we) (?:am|are) fine",
)
#: Praise in alarm words: "this update is fire", "killer deal", "should be illegal".
IDIOM = alternatives(
    r"(?:is|so|was|looks?|sounds?|pure|straight|absolute|lowkey|honestly) fire", r"fire 🔥", r"🔥+",
    r"killer (?:deal|price|app|feature|setup|combo)", r"died laughing", r"dying laughing", r"should be illegal",
    r"legally blind\w*", r"daylight robbery", r"call the police", r"killed me", r"killing me",
    r"destroyed me", r"in pieces", r"scary (?:fast|good)", r"dead serious", r"insane",
    _KEEP_IT,
    r"stuck in my head", _NEVER_HAD,
    _HAPPY_HYPERBOLE,
)
NEGATORS = _compile(
    # "can't stop bleeding", "won't stop smoking" say it goes on; "not me getting charged
    # twice" is a joke about it happening
    r"\b(?:not(?!\s+(?:only|me)\b)|no longer|never|nothing|without|no sign of|nor|isn'?t|wasn'?t|aren'?t|weren'?t|don'?t|doesn'?t|didn'?t|hasn'?t|haven'?t|hadn'?t|won'?t|wouldn'?t|can'?t|couldn'?t|shouldn'?t|ain'?t)(?!\s+(?:stop|stops|stopped|stopping|quit)\b)\s+(?:\w+\s+){0,2}$")
HYPOTHETICAL = _compile(
    r"(?:\bif|\bwhether|\bin case|\bscared|\bworried|\bafraid|\bwhat if|\basking if|\bwonder(?:ing)? if|\bis it|\bare they|\bhas that)\b[^.!?]*$")
#: A question whether it is normal presupposes it is happening ("is it normal for the
#: brake pedal to go to the floor?"), unlike one whether it would be safe ("is it safe to…").
PRESUPPOSED = _compile(
    r"\bis (?:it|this|that) (?:normal|ok(?:ay)?|usual|expected|meant to|supposed to)\b[^.!?]*$")
CLAUSE = _compile(r"(?:[!?;\n]|\.(?!\d)|(?<!\d)\.)+|\s(?:but|however|though|although|except)\s")
CONTRAST = _compile(r"\b(?:but|however|though|although|except|still)\b")
