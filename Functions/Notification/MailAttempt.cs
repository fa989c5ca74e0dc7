using Cordon.Evidence;

namespace Cordon.Notification;

/// <summary>
/// A notice e-mail's attempt, recorded with the evidence before the send (its proof is stored after). Mail has no
/// idempotency key: an attempt found without its proof (the host stopped, or storing the proof failed, after the send)
/// may have been delivered or not. A notice is never withheld on that doubt — a missed notice is the worse failure — so
/// it goes again, marked as sent again (found by an attack: a client got two identical notices, the record named one).
/// </summary>
public static class MailAttempt
{
    /// <summary>Whether an earlier attempt was recorded under <paramref name="item"/>; records this one when none was.</summary>
    public static async Task<bool> RecordedBeforeAsync(IEvidenceStore evidence, string incidentId, string item, CustodyNote note, DateTime at) =>
        (await evidence.FirstAsync(incidentId, item, () => Task.FromResult(new Attempt(at)), note)).At != at; // else a concurrent run's, or an earlier one's

    sealed record Attempt(DateTime At);

    /// <summary>The sentence a notice sent again carries.</summary>
    public const string SentAgainNote = " This notice is sent again because the delivery of an earlier copy could not be confirmed; if you received it, both are the same notice.";
}
