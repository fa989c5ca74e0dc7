namespace Cordon.Incidents;

/// <summary>
/// The steps an incident's timeline records (<see cref="TimelineEntry.Step"/>), named once. The values are what
/// the API, the dashboard and stored histories carry: never change one.
/// </summary>
public static class TimelineSteps
{
    public const string AccessRestored = "access restored";
    public const string AccessRevoked = "access revoked";
    public const string AlertHandedOn = "alert handed on";
    public const string AlertMerged = "alert merged";
    public const string ApproverSkipped = "approver skipped";
    public const string ClientNotified = "client notified";
    public const string ClosedByOperator = "closed by operator";
    public const string Confirmed = "confirmed";
    public const string Contained = "contained";
    public const string Deadlines = "deadlines";
    public const string Decision = "decision";
    public const string DecisionRefused = "decision refused";
    public const string Escalated = "escalated";
    public const string EventNotPublished = "event not published";
    public const string EvidencePreserved = "evidence preserved";
    public const string GateExpired = "gate expired";
    public const string GateOpened = "gate opened";
    public const string NoClientNotice = "no client notice";
    public const string NotOnRoster = "not on roster";
    public const string NoticeNotSent = "notice not sent";
    public const string NoticePrepared = "notice prepared";
    public const string Opened = "opened";
    public const string Operator = "operator";
    public const string OperatorActionRefused = "operator action refused";
    public const string OperatorAlertFailed = "operator alert failed";
    public const string OperatorDecision = "operator decision";
    public const string OperatorVote = "operator vote";
    public const string ReceiptNotMailed = "receipt not mailed";
    public const string ReminderSent = "reminder sent";
    public const string ReportFailed = "report failed";
    public const string ReportStored = "report stored";
    public const string Restarted = "restarted";
    public const string RestoreOvertaken = "restore overtaken";
    public const string RestoreStopped = "restore stopped";
    public const string SessionKillFailed = "session kill failed";
    public const string SiteOffboarded = "site offboarded";
    public const string StepFailed = "step failed";
    public const string StepRetried = "step retried";
    public const string TimeoutShortened = "timeout shortened";
    public const string TrainingAssigned = "training assigned";
    public const string Triaged = "triaged";
    public const string Unreviewed = "unreviewed";
    public const string VendorKept = "vendor kept";
    public const string VendorNotified = "vendor notified";
    public const string VendorOffboardingNotTriggered = "vendor offboarding not triggered";
    public const string VendorOffboardingProposed = "vendor offboarding proposed";
}
