using Cordon.Incidents;
using Cordon.Policy;

namespace Cordon.Approvals;

public enum GateOutcome { Approved, Rejected, Expired }

/// <summary>Who is asked at one step of a gate's escalation chain, and who was passed over for being the subject.</summary>
public sealed record GateStep(string Role, IReadOnlyList<string> Asked, IReadOnlyList<string> SkippedAsSubject);

/// <summary>
/// The rules of one open gate, as plain code (no engine): who may vote (the current approvers of the chain,
/// never the subject), that a quorum needs distinct people (an operator's decision is one vote of one person),
/// why an attempt is refused (refused attempts change nothing), when the gate is decided, and when each step
/// of the escalation chain ends. The orchestration asks these rules and does the waiting, mailing and recording.
/// </summary>
public sealed class GateRules(string gate, string gateId, string subject, GatePolicy policy)
{
    readonly string subjectHash = ApproverIdentity.Hash(subject);
    readonly Dictionary<string, string> eligible = new(StringComparer.Ordinal); // hash → e-mail
    readonly Dictionary<string, Vote> votes = new(StringComparer.Ordinal); // hash → vote
    /// <summary>
    /// Every identity of everyone who voted (hashed): a link's address; an operator's sign-in id and each sign-in address.
    /// Who counts as an approver changes as the chain escalates, so a vote is matched on all of them, not on the key it was
    /// counted under (found by an attack: a dashboard vote before the escalation and a link vote after it were two).
    /// </summary>
    readonly HashSet<string> voted = new(StringComparer.Ordinal);

    public string Gate => gate;

    public string GateId => gateId;

    public int Quorum => policy.Quorum;

    /// <summary>Whether an approver chose Escalate (approve and propose offboarding the site).</summary>
    public bool Escalate { get; private set; }

    /// <summary>Everyone whose link counts now (e-mail addresses, in the order they were first asked).</summary>
    public IReadOnlyList<string> Eligible => eligible.Values.ToList();

    public IReadOnlyList<Vote> Votes => votes.Values.ToList();

    /// <summary>Distinct people who approved (Escalate is an approval too).</summary>
    public int Approvals => votes.Values.Count(v => v.Decision is Decisions.Approve or Decisions.Escalate);

    public int StillNeeded => policy.Quorum - Approvals;

    /// <summary>
    /// Opens step <paramref name="step"/> of the chain with the approvers of its role: the subject is skipped,
    /// someone already asked is not asked again, and earlier links lapse unless the policy keeps them valid.
    /// </summary>
    public GateStep Ask(int step, IEnumerable<string> approversOfRole)
    {
        if (step > 0 && !policy.EarlierLinksStayValid)
        {
            eligible.Clear();
        }

        var asked = new List<string>();
        var skipped = new List<string>();
        foreach (string approver in approversOfRole)
        {
            string hash = ApproverIdentity.Hash(approver);
            if (hash == subjectHash)
            {
                skipped.Add(approver);
                continue;
            }

            if (eligible.TryAdd(hash, approver))
            {
                asked.Add(approver);
            }
        }

        return new GateStep(policy.Chain[step], asked, skipped);
    }

    /// <summary>Until when a link mailed at step <paramref name="step"/> works: the gate's last possible moment, or this step's end when earlier links lapse.</summary>
    public DateTime LinkExpiry(int step, DateTime now) => policy.EarlierLinksStayValid
        ? now + policy.StepTimeout * (policy.Chain.Count - step)
        : now + policy.StepTimeout;

    /// <summary>A higher severity halves what is left of the step; null when that would not shorten it.</summary>
    public static DateTime? ShortenedStepEnd(DateTime now, DateTime stepEnds)
    {
        DateTime shorter = now + (stepEnds - now) / 2;
        return shorter < stepEnds ? shorter : null;
    }

    /// <summary>When to wake next: the next reminder due before the step ends, else the step's end.</summary>
    public static DateTime NextWake(IEnumerable<DateTime>? reminders, DateTime now, DateTime stepEnds)
    {
        DateTime? nextReminder = reminders?.Where(r => r > now).DefaultIfEmpty().Min();
        return nextReminder is { } r && r != default && r < stepEnds ? r : stepEnds;
    }

    /// <summary>Why a decision from an approval link changes nothing, or null when it counts.</summary>
    public string? Refusal(ApprovalDecision d) =>
        d.GateId != gateId ? "This approval link belongs to a gate that is no longer open; nothing was changed." :
        d.ApproverHash == subjectHash ? "The subject of an incident can never decide it; nothing was changed." :
        !eligible.ContainsKey(d.ApproverHash) ? "You are not a current approver of this gate; nothing was changed." :
        voted.Contains(d.ApproverHash) ? "You have already decided at this gate; a second decision changes nothing." :
        !Decisions.IsValid(d.Decision) ? "Unknown decision; nothing was changed." :
        !Decisions.IsOfferedAt(d.Decision, gate) ? Decisions.EscalateOnlyAtConfirm :
        null;

    /// <summary>The approver a counted link decision is from (as they were asked).</summary>
    public string ApproverOf(ApprovalDecision d) => eligible[d.ApproverHash];

    /// <summary>Counts a link decision that <see cref="Refusal(ApprovalDecision)"/> let through; the outcome once the gate is decided.</summary>
    public GateOutcome? Accept(ApprovalDecision d, DateTime at) => Count(d.ApproverHash, [d.ApproverHash], new Vote(ApproverOf(d), d.Decision, at, d.Comment));

    /// <summary>
    /// Why an operator's Approve or Reject from the dashboard changes nothing, or null when it counts: it is one
    /// vote of one person, so the subject never decides and the same person never counts twice.
    /// </summary>
    public string? Refusal(OperatorAction action)
    {
        string voter = OperatorHash(action);
        return IsByHash(action, subjectHash) ? "the subject of an incident can never decide it"
            : voted.Contains(voter) || Identities(action).Any(voted.Contains) ? $"{action.Operator} has already decided at this gate; a quorum needs distinct people"
            : null;
    }

    /// <summary>
    /// Whether an operator action comes from the incident's subject (by sign-in id or any sign-in address). The subject
    /// never acts on their own incident: not a vote, not a close, not a retry.
    /// </summary>
    public static bool IsBySubject(OperatorAction action, string subject) =>
        Cordon.World.SubjectIdentity.Forms(subject).Any(form => IsByHash(action, ApproverIdentity.Hash(form))); // a guest signs in under their home address

    static bool IsByHash(OperatorAction action, string subjectHash) => Identities(action).Contains(subjectHash);

    /// <summary>Counts an operator's decision that <see cref="Refusal(OperatorAction)"/> let through; the outcome once the gate is decided.</summary>
    public GateOutcome? Accept(OperatorAction action, DateTime at) =>
        Count(OperatorHash(action), Identities(action), new Vote($"operator:{action.Operator}", action.Decision!, at, action.Reason));

    /// <summary>An operator's identities, hashed: the sign-in id (else the name) and every sign-in address.</summary>
    static IEnumerable<string> Identities(OperatorAction action) =>
        (action.SignInAddresses ?? []).Append(action.OperatorId ?? action.Operator).Select(ApproverIdentity.Hash);

    /// <summary>What the approver is told after their decision was recorded.</summary>
    public string ReceiptMessage(GateOutcome? decided) => decided switch
    {
        GateOutcome.Rejected => $"Recorded: you rejected at gate {gate}.",
        GateOutcome.Approved => $"Recorded: you approved at gate {gate}. The incident moves on.",
        _ => $"Recorded: you approved at gate {gate}; {StillNeeded} more distinct approver(s) needed.",
    };

    /// <summary>
    /// The person behind an operator action, hashed like an approver: the gate's approver one of their sign-in addresses
    /// names (so their link and their dashboard vote are one person's), else their sign-in id, else their name.
    /// </summary>
    string OperatorHash(OperatorAction action) =>
        (action.SignInAddresses ?? []).Select(ApproverIdentity.Hash).FirstOrDefault(eligible.ContainsKey)
        ?? ApproverIdentity.Hash(action.OperatorId ?? action.Operator);

    /// <summary>One person, one vote: a rejection decides the gate, approvals decide it once a quorum of distinct people agree.</summary>
    GateOutcome? Count(string voter, IEnumerable<string> identities, Vote vote)
    {
        votes[voter] = vote;
        voted.Add(voter);
        voted.UnionWith(identities);
        Escalate |= vote.Decision == Decisions.Escalate;
        return vote.Decision == Decisions.Reject ? GateOutcome.Rejected
            : Approvals >= policy.Quorum ? GateOutcome.Approved
            : null;
    }
}
