"""Build the two MS Teams-style ``.docx`` interview transcripts of the example study.

Run from anywhere::

    python examples/study/tools/make_docx.py

It writes ``examples/study/interviews/P03_Academia_Yr1.docx`` and
``examples/study/interviews/P06_VCS_Yr2.docx``. The transcript text lives in this
script (all invented); the output is deterministic apart from the document's
core-properties timestamps, which python-docx sets itself.

Layout, as in a transcript downloaded from MS Teams:

* paragraph 1: a title, e.g. ``Partnership interview - P03``
* paragraph 2: the date and start time, e.g. ``12 March 2024, 10:02AM``
* then, per speaker turn, two paragraphs: the speaker's display name, three
  spaces and a timestamp (``m:ss``, or ``h:mm:ss`` from one hour on), e.g.
  ``Kate Morrison   0:03``; then the text of the turn as one paragraph.

In the script a turn starts with ``I:`` (the interviewer) or ``P:`` (the
participant) at the start of a line; a turn written over several paragraphs is
joined into one paragraph, as Teams does.
"""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document

OUT = Path(__file__).resolve().parent.parent / "interviews"

WORDS_PER_SECOND = 2.4  # speaking rate used to space the timestamps
GAP_SECONDS = 1.5  # pause between turns


P03 = """
I: Hi Priya, can you hear me?
P: Hi Kate, sorry, I was on mute. Can you hear me now?
I: Yes, perfect. Thanks for doing this, I know it's a busy time of year with marking.
P: Oh, it's fine. Marking's never finished, so there's never a good time, you might as well grab me now.
I: Fair enough. So, just to confirm, you're happy for me to record and transcribe?
P: Yes, absolutely. I've done enough of these myself to know the drill.
I: Great, I've started it. Could you start by telling me about your role and how you got involved in the partnership?
P: So I'm a senior lecturer in public health at the University of Northfield, in the School of Health Sciences. I came here about four years ago from Manchester, where I was doing a lot of work on community-based interventions, food insecurity mostly. And I got involved in the partnership because Linda Carr got in touch with our head of school, Professor Alan Green, when it was being set up, and said they wanted an academic partner, and Alan passed it to me because, um, I think because I'd just done a talk on food insecurity that she'd heard about.

So my role is a bit two-sided. On the one hand I'm a member of the steering group, a partner like everybody else. On the other hand I'm leading the evaluation of the partnership, with Alan as co-investigator and a research assistant, Ollie Grant, who does a lot of the fieldwork. And those two roles don't always sit comfortably together, which I'm sure we'll talk about.
I: We will. Let's start with the purpose. What do you understand the partnership to be trying to achieve?
P: So formally it's reducing health inequalities in the borough, with a focus on Ashby and Millbrook, and the three priorities, food, physical activity and social isolation. And I think there's genuine agreement on that at a high level. Nobody round the table is against reducing inequalities, obviously.

But I think the vision is written broadly enough that everybody can sign up to it, and that's both its strength and its weakness. When we did the logic model workshop in October, we asked people to say what would be different in five years' time if the partnership was successful. And the answers were really different. The council people talked about indicators. The voluntary sector people talked about their members, about specific people. Fatima, who's the resident rep, talked about her street, about the bus route being cut. None of them were wrong. But they weren't the same thing, and the logic model exercise sort of exposed that, which was uncomfortable but, I think, useful.
I: Can you say a bit more about why it was uncomfortable?
P: Um, I think because people had assumed they agreed. And when you make assumptions explicit, you find the gaps. There was a moment where Tom, from Riverside, said, quite sharply, that the council's outcomes aren't our outcomes, and there was a bit of a silence. And Linda handled it well, actually, she said something like, well, that's exactly what we need to hear. But it took a while for the room to recover.
I: Who would you say participates in the partnership, and who doesn't?
P: The core is quite small. The council, Riverside Community Trust, Ashby Food Network, us, Northfield Voluntary Action, and then Northfield Leisure and Councillor Holt more occasionally. It's a fairly professionalised group. People who are used to meetings, used to papers.

What's missing, I'd say, is three things. Residents, apart from Fatima. The smaller, informal groups, the ones that aren't constituted, that don't have a bank account, so they're invisible to the council's systems. And the NHS, actually, which surprises people. Primary care should be in there, given that half of the walking group referrals come from GP surgeries. There was someone from the health side at the beginning, but they moved jobs and nobody replaced them.
I: And why do you think the smaller groups aren't there?
P: I think partly it's practical, meetings in the day, in the town hall, no payment. But partly it's, um, it's about who gets invited, and who feels that they have the right to be there. The partnership grew out of Linda's existing relationships, so it reflects who Linda knew. That's how most partnerships start, there's nothing wrong with it. But unless you make a deliberate effort to widen it, it stays that way.
I: How would you describe the leadership?
P: I'd describe it as strong, formal leadership from the council, and informal leadership that's mostly invisible. Linda is the formal leader, she chairs, she holds the budget, she's the face of it. And she's very good. She's respected and she can open doors at cabinet level that nobody else can. Councillor Brian Shaw, the cabinet member, will take a call from her.

But the informal leadership is really Helen, who keeps the whole thing going, and Rachel at the food network, who is just a force of nature, she gets things done on the ground. And neither of them has formal authority in the partnership. From a research point of view that's really interesting, you've got a lot of leadership happening that isn't recognised. From a sustainability point of view it's a risk. If Helen left tomorrow, I'm not sure the partnership would survive, honestly.
I: Sorry, Priya, I think there's, there's a bit of an echo on the line, can you hear it?
P: Oh, I think that's me, I've got my speakers on. Hang on, let me find my headphones. Is that better?
I: Much better, thank you.
P: Sorry, the cat knocked them off the desk this morning and I've been putting off untangling them. The joys of working from home.
I: Don't worry. So, communication. How do partners communicate with each other?
P: So there's the bimonthly steering group, and there's email, and there's a WhatsApp group for the food work that I'm on, though I mostly lurk. The minutes come out quite late, which is understandable given that Helen is doing it alongside her actual job.

I think the more interesting thing is the language. There are at least three languages in that room. There's council language, which is all acronyms and frameworks and delivery plans. There's voluntary sector language, which is much more about people and stories. And there's academic language, which, I'm aware, is probably the worst of the three. So I've tried to be quite deliberate about that. When we share anything from the evaluation, I write a one-page plain English summary first, and I've asked Ollie to do the same. It's a discipline. It's good for us, frankly.
I: Have there been any communication breakdowns that stand out?
P: The one everybody mentions is the small grants criteria, where Riverside found out about a change second-hand. I wasn't directly involved, but I was at the next meeting and the temperature in the room was noticeably lower. I think it was a genuine mistake rather than anything deliberate, but it fed into an existing narrative, that the council decides and everyone else finds out. And once that narrative is there, every little thing confirms it.
I: Thinking about roles, how clear are roles and responsibilities?
P: Not very, and I include myself in that. My own position is ambiguous. Am I a partner, or am I the evaluator? If I'm in a meeting and I've got a view on whether the pantry should expand, should I say it? Because if I say it, I'm influencing the thing I'm evaluating. If I don't, I'm not really being a partner. I've gone back and forth on that. At the moment I tend to say, I'm putting my partner hat on now, and then say it. It's a bit clunky, but at least it's transparent.

More broadly, the terms of reference describe the partnership's purpose but say very little about who does what. There's no real mechanism for holding people to their commitments. Actions roll over from meeting to meeting. And the accountability runs upwards, to each organisation's own bosses, rather than sideways, to each other.
I: And resources, how would you describe the balance of resources?
P: The council controls the money. There's a small grants fund, about a hundred and fifty thousand a year, which is actually a meaningful amount at this scale. The voluntary sector brings capacity on the ground, relationships, buildings, volunteers, and none of that is costed, which I think is a real problem. If you costed it, I suspect the voluntary sector contribution would be at least equal to the council's.

What the university brings is, um, it's an odd mix. My time, which is paid for out of a university civic engagement fund, about a day a week. Ollie's post, which is on a small internal grant until next year. Some student placements. And I suppose a kind of credibility, the university logo. But I'm conscious that we're also taking. We get data, we get publications, we get an impact case. So the exchange isn't one way.
I: Is that something you've talked about openly with the partners?
P: A bit. Tom raised it, actually, fairly directly, at one point, that the university gets paid to study them. And he's not wrong. I've tried to give back where I can, I spent a morning at the lunch club at Riverside, I've helped Rachel with a couple of funding bids, and we've agreed that partners see everything before it's published. But it's a structural imbalance, and I can't fix it on my own.
I: What about the balance between maintaining the partnership and actually delivering things?
P: So this is one of the things coming out of our observations. Ollie has been sitting in on the steering group meetings and coding how the time is spent, roughly. And something like two-thirds of meeting time over the last year has been on governance and process. Terms of reference, membership, subgroups, reporting. And a third on the actual work.

Now, in the early stages of a partnership, some of that is necessary. You need to build the structures. But there's a risk that the structure becomes the point. And I'm aware that the evaluation adds to that, to be honest. We ask people for interviews, we ask them to fill in surveys, we put items on the agenda to feed back. So we're part of the maintenance load, and I try to keep that light.
I: That's a really interesting finding. What about the wider context, what's shaping the partnership from outside?
P: Money, mostly. Local government finance is in a dire state nationally, and Northfield is doing better than some, but there are savings targets every year. The cost of living has pushed demand up at the same time. And then in my own sector, universities are having a really difficult time financially. There've been redundancies at a lot of places, including voluntary severance here, and civic engagement work is the kind of thing that's vulnerable when money's tight, because it doesn't bring in fees.

And there's the political context. There are local elections in May. Councillor Holt is standing down, and she's been an important advocate. And there's always a general election somewhere on the horizon, which could change the funding landscape completely.
I: And you're leading the evaluation. Could you tell me about the approach you're taking?
P: So it's primarily a process evaluation. We're interested in how the partnership works, not just what it delivers, partly because it's too early for outcomes and partly because the outcomes it's aiming for, reducing inequalities in life expectancy, you're not going to see in three years anyway. So we're doing interviews with partners at two points, observation of meetings, a short partnership survey once a year, and we've done the logic model work.

We're planning an interim report for December, which is timed, deliberately, so that it can feed into the council's budget setting. Because I'm aware that an evaluation that reports after the decisions have been made is not much use to anyone. Alan is quite keen on publishing in the meantime, which I understand, but my priority is being useful to the partnership first.
I: How do the partners feel about being evaluated?
P: Mixed, I'd say. The council is quite keen, because they need evidence for cabinet. The voluntary sector partners are, um, a bit warier, which is completely fair. They already do a lot of monitoring for other funders, and they've been evaluated before and seen the reports disappear into a drawer. Rachel's line is, tell me something I don't know. So that's the bar, really. If we can't tell them something they don't already know, we've failed.
I: If you could change one thing about the partnership, what would it be?
P: I think I'd want resources decided jointly. At the moment, the partnership advises and the council decides. If there were a genuinely pooled budget, even a small one, with decisions made by the partnership, I think that would change the dynamics more than any amount of tinkering with the terms of reference.
I: Is there anything else you'd like to add?
P: Just that I'm very aware of the irony of being interviewed about a partnership that I'm also evaluating. So take everything I've said with a pinch of salt.
I: I'll bear that in mind. Thanks so much, Priya, I'll stop the recording there.
P: Thanks, Kate. Good luck with it all.
"""


P06 = """
I: Hi Aisha, can you hear me?
P: Hi, yes, sorry, I'm just, hang on, let me turn the volume up. Yes, I can hear you now.
I: Great. Thanks so much for agreeing to take part. Is that hail I can hear?
P: It is, it's hailstones, on the roof of the portakabin. It's been doing it on and off all morning. It's March, what can you do.
I: Well, I'll try to speak up. You've had the information sheet and the consent form. Are you happy for me to record?
P: Yes, that's fine, I sent the form to Kate last week.
I: Perfect. I've started the recording. Could you start by telling me about your role and how you came to be involved in the partnership?
P: So I'm the coordinator at Ashby Food Network. I started in June last year, so I'm, um, nine months in. Before that I was an assistant manager at Fenton's, the supermarket, for about ten years, and I'd volunteered at the food bank at St Anne's for a long time, on Saturdays. So I knew the food side, and I knew a lot of the volunteers, but I didn't know anything about, you know, partnerships and councils and all of that.

The network is, we coordinate six food projects across Ashby and Millbrook. So the food bank at St Anne's, two community pantries, one on the Hollins estate and the new one at Millbrook Library, a couple of community fridges and a breakfast club. There's me and Kirsty, who's our volunteer coordinator, both part-time, and about a hundred and twenty volunteers. Rachel Moore was the coordinator before me, and she was the one who was involved in the partnership from the start, so I sort of inherited it.
I: What was it like, inheriting the partnership?
P: Honestly, at first, terrifying. My first steering group was in July, in the town hall, and it was all, there were these long papers, and people were using words I didn't know, and everybody knew each other, and I just sat there. I didn't say a word. I went home and said to my husband, I don't think I'm cut out for this.

But it changed, quite a lot, actually, over the autumn. Daniel came in September, and the first thing he did was come and see me, at the pantry, and just ask me questions for an hour. Nobody had done that. And then the meetings moved around, and Tom became co-chair in January, and Tom's, he's very good at, like, looking round the room and saying, Aisha, what do you think? So now I do speak. I spoke at the meeting about the cuts, quite a lot actually.
I: Can you tell me about that?
P: So the small grants pot got cut, from a hundred and fifty to a hundred thousand, and the pantries get a big chunk of their running costs from it. Rent, the van, the fridges, the electricity. And I was upset, because it felt like, we'd just opened the Millbrook pantry, which the partnership was so proud of, and it was in the photos and everything, and now the money that keeps it open is being cut. It doesn't make sense.

So I said that. I said, you can't open something and take a picture and then cut it. And, um, I think people listened. Tom said it was the most important thing anyone had said all meeting. I don't know about that. But in the end the pantries kept most of their grant, and it was other things that got cut, like Jo's job at Riverside. Which is, that's not a win either. I feel bad about that. Jo's lovely.
I: It sounds like a really difficult situation. How do you see the aims of the partnership?
P: For me it's simple. Nobody in Ashby or Millbrook should go hungry, and people should be able to live healthy lives, not just survive. The vision says a fair chance of a healthy life, and I like that. I think everyone round the table would say they want that.

But I think we, um, we see the road to get there differently. The council wants numbers, how many people, how many food parcels. And I understand that, they have to show the money's been used. But for us, the goal is actually, we want fewer people to need us. A food bank that's busier is not a success. It's a failure of everything else. And I said that once, and Steve, the interim director, he said, that's a really important point, and wrote it down. I don't know what happened to it after that.
I: Who do you think is involved in the partnership now?
P: There's more people than when I started. There's the resident panel, which I think is brilliant, and two of them are pantry users, actually, so they really know what it's like. There's the council people, Helen, Daniel, Steve sometimes. Tom from Riverside. Priya and Ollie from the university. Paul Hughes from St Anne's, he's been coming since the autumn. Councillor Khan.

Fatima used to come, before my time, and she's one of our volunteers at the Hollins pantry. She stepped back from the meetings. She told me, Aisha, I gave them two years and I was tired, and I didn't feel like it changed anything. That stayed with me. I think about that when we talk about the resident panel. We have to make sure it's not just people giving their time for nothing.
I: Sorry, Aisha, I think I lost you for a moment, the screen went black.
P: Oh, sorry, that's me, someone's knocking on the portakabin. Can you give me two minutes? It's the delivery from Fenton's, I need to sign for it.
I: Of course, no problem.
P: Sorry about that. Forty trays of bread. Where were we?
I: We were talking about who's involved. I wanted to ask about leadership. How would you describe the leadership of the partnership?
P: I only knew Linda a little bit, she left in November, but she was very, um, very impressive, very much the boss, you know. Everybody listened when she talked. Now it's Steve and Tom as co-chairs, and it feels much more, like, relaxed. Tom runs the meetings mostly, Steve's there but he's often got to leave early.

And Daniel. I think Daniel is the one who holds it all together, really. He's not the chair, but he's the one who knows everything and everyone. And for the food task group, it's Helen who leads it, and she's very good, she knows food, she's been doing it for years. I'd maybe like it if the food group was led by someone from the voluntary sector, but I'm also not sure I'd want to do it. I've got enough on.
I: How is communication in the partnership from your point of view?
P: Good, now. Daniel's bulletin, once a month, it's short and I actually read it. And the Teams channel, which I use for sharing, like, the rota, or if we need volunteers. And the WhatsApp group for the food projects, which Rachel set up, we still use that every day. If a pantry is short of something, we put it on WhatsApp and someone from another project will bring it over. That's the best thing about the network, really.

The only thing is it's a lot. Emails, Teams, WhatsApp, the bulletin. Sometimes I don't know where to look. I missed a task group meeting in January because it was in the Teams channel and not in an email. So, too much communication, maybe, instead of too little.
I: And how clear are the roles, what's expected of Ashby Food Network?
P: Clearer now. We've got the document that Daniel did, who does what. And in the food task group, every action has a name next to it. I know what I'm supposed to be doing. The thing that's not clear is, like, who decides things in the end. We talk in the task group, we talk in the steering group, and then the decision about money is made by the council. So we're responsible for running the pantries, but we're not responsible for whether they've got money. That's a strange position.

And we're accountable to lots of people. Our trustees, the council for the grant, the supermarkets, who want to know their food isn't wasted, and the people who use the pantries. That's a lot of people to answer to, for two part-time staff.
I: Can you tell me more about resources, how they're shared?
P: So the money mostly comes from the council, through the small grants, and some from other places, a bit from Brightwater, donations, the churches. The food mostly comes from supermarket surplus, Fenton's and others, and donations. And the work comes from volunteers. Honestly, without the volunteers there's nothing. A hundred and twenty people, some of them doing two or three shifts a week.

And I think that doesn't get seen. When the council talks about the partnership's resources, they talk about the hundred thousand. They don't talk about the thousands of hours of volunteer time. Daniel's trying to count it now, which is good. Tom got that into the new commitments, that everyone's contribution counts, not just money. But I'll believe it when it shows up in a budget.
I: How do you feel about the balance between the time spent on the partnership and the time spent on the actual work?
P: It's better than Rachel told me it used to be. She said, when I took over, don't let them drown you in meetings. And I think with the task groups, it's more, we meet and then we do something. The Millbrook pantry went from an idea to open in, what, eight months, which is fast.

But for me, every meeting is still time away from the pantries. Two hours at a steering group, plus travel, plus reading the papers, that's half a day, and that's a lot when you're part-time. I try to only go to the things that really matter, and send Kirsty to the others. I'm getting better at saying no.
I: What's happening in the wider context that affects your work?
P: Demand, mostly. We've got more people than ever. And it's changed, who comes. When I volunteered at St Anne's, a few years ago, it was mostly single men, people with, um, with chaotic lives, if you know what I mean. Now it's families. Working families. Nurses. I had a teaching assistant in last week. People who would never have thought they'd need a food bank.

And the supermarkets are getting better at not wasting food, which is good for the planet, but it means less surplus for us. So we're buying more food, which costs money, at the same time as the grant is cut. And the council's in trouble, everyone knows that. So I worry about next year. If they cut the pantries next year, I don't know what we'll do.
I: How do you and the partnership know if what you're doing is working?
P: So we count everything. Visits, food parcels, volunteers, hours. Rachel had this giant spreadsheet. And then Daniel helped me do a new form for the pantries, shorter, and it asks people two questions, like, how are you feeling this week, and have you been able to eat properly. And we started in January, so it's early, but it's interesting, you can see the difference between people who come regularly and people who just come once.

And the university are doing the evaluation. Ollie came to the Hollins pantry and did a few interviews with volunteers, and he was very respectful, he helped with the unloading. I read the interim report. Some of it was hard to read, the academic bits, but the summary at the front was good, and it said things that were true. I'd like them to tell us more about the people who don't come, though. The people who need help and don't ask. We don't know anything about them.
I: That's a really interesting point. If you could change one thing about the partnership, what would it be?
P: Money for the pantries that's longer than a year. Three years, even. Every year I'm waiting to hear if we've got the grant, and the volunteers are asking me, are we going to be open next year? And I can't tell them. That's the one thing.
I: Is there anything else you'd like to add?
P: Um, just that it's a good partnership, I think, now. Better than I was told it was. I was scared of it at the start and now I'm not. That's progress.
I: That's definitely progress. Thank you so much, Aisha. I'll stop the recording now.
P: Thank you, Joe. And I hope the hail stops before I have to go out to the van!
"""


INTERVIEWS = [
    {
        "stem": "P03_Academia_Yr1",
        "title": "Partnership interview - P03",
        "date": "12 March 2024, 10:02AM",
        "interviewer": "Kate Morrison",
        "participant": "Priya Desai",
        "text": P03,
    },
    {
        "stem": "P06_VCS_Yr2",
        "title": "Partnership interview - P06",
        "date": "13 March 2025, 2:31PM",
        "interviewer": "Joe Ramsay",
        "participant": "Aisha Rahman",
        "text": P06,
    },
]


def parse_turns(text: str) -> list[tuple[str, str]]:
    """Split the ``I:`` / ``P:`` script into (role, text) turns."""
    turns: list[tuple[str, list[str]]] = []
    for line in text.strip().splitlines():
        m = re.match(r"^([IP]): (.*)$", line)
        if m:
            turns.append((m.group(1), [m.group(2)]))
        elif line.strip():
            turns[-1][1].append(line.strip())
    return [(role, " ".join(parts)) for role, parts in turns]


def stamp(seconds: float) -> str:
    """Teams style: ``m:ss`` under an hour, ``h:mm:ss`` from an hour on."""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def build(spec: dict) -> Path:
    doc = Document()
    doc.add_paragraph(spec["title"])
    doc.add_paragraph(spec["date"])
    t = 3.0
    for role, text in parse_turns(spec["text"]):
        speaker = spec["interviewer"] if role == "I" else spec["participant"]
        doc.add_paragraph(f"{speaker}   {stamp(t)}")
        doc.add_paragraph(text)
        t += len(text.split()) / WORDS_PER_SECOND + GAP_SECONDS
    path = OUT / f"{spec['stem']}.docx"
    doc.core_properties.author = spec["interviewer"]
    doc.core_properties.title = spec["title"]
    doc.save(path)
    return path


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for spec in INTERVIEWS:
        print(build(spec))


if __name__ == "__main__":
    main()
