using Cordon.Alerts;
using Cordon.Approvals;
using Cordon.Monitoring;

namespace Cordon.Incidents;

internal sealed partial class IncidentRun
{
    enum WakeKind { Timeout, Decision, Merge, Operator }

    readonly record struct Wake(WakeKind Kind, ApprovalDecision? Decision = null, RiskAlert? Alert = null, OperatorAction? Action = null);

    /// <summary>Failed steps waiting for an operator, in the order they failed; parallel steps each wait on their own.</summary>
    readonly List<StepFailure> waiting = [];

    /// <summary>
    /// Waits for the next event or until <paramref name="until"/>. The event waits live across calls and are
    /// shared by every concurrent waiter (a gate and failed parallel steps): each waiter that sees an event
    /// acts on it, and only the first re-arms the wait. A fresh WaitForExternalEvent per waiter would leave
    /// the earlier one first in line for the next event. Merged alerts are taken here too; a wake for an
    /// alert is taken once, whichever waiter saw it first; each waiter is woken by it.
    /// </summary>
    async Task<Wake> NextAsync(DateTime? until, bool decisions = true)
    {
        while (true)
        {
            Task<ApprovalDecision>? decision = decisions ? pendingDecision ??= context.WaitForExternalEvent<ApprovalDecision>(IncidentEvents.Decision) : null;
            Task<RiskAlert> merge = ArmMerges();
            Task<OperatorAction> action = pendingOperator ??= context.WaitForExternalEvent<OperatorAction>(IncidentEvents.OperatorAction);

            var waits = new List<Task> { merge, action };
            if (decision is not null)
            {
                waits.Add(decision);
            }

            Task? timer = until is { } at ? TimerFor(at) : null;
            if (timer is not null)
            {
                waits.Add(timer);
            }

            Task winner = await Task.WhenAny(waits);
            if (winner == timer)
            {
                wakeTimer = null;
                return new Wake(WakeKind.Timeout);
            }

            if (winner == decision)
            {
                if (pendingDecision == decision)
                {
                    pendingDecision = null;
                }

                return new Wake(WakeKind.Decision, Decision: decision.Result);
            }

            if (winner == action)
            {
                if (pendingOperator == action)
                {
                    pendingOperator = null;
                }

                if (GateRules.IsBySubject(action.Result, status.Subject))
                {
                    // Found by an attack: the subject, signed in as an operator, closed their own open incident.
                    Record(TimelineSteps.OperatorActionRefused, $"{action.Result.Action} by {action.Result.Operator}: the subject of an incident can never act on it");
                    continue;
                }

                return new Wake(WakeKind.Operator, Action: action.Result);
            }

            OnMerged(merge);
            return new Wake(WakeKind.Merge, Alert: merge.Result);
        }
    }

    /// <summary>The durable timer of the current wait's deadline, kept across wakes while the deadline stays the same.</summary>
    (DateTime At, Task Timer, CancellationTokenSource Cancel)? wakeTimer;

    /// <summary>
    /// The timer for a deadline. One timer per deadline, not per wake: an alert (or any event) that wakes a gate does
    /// not add a timer to the history, so a flood of merged alerts neither grows every replay by a timer each nor
    /// leaves a timer per alert to fire at the step's end. A new deadline cancels the previous timer.
    /// </summary>
    Task TimerFor(DateTime at)
    {
        if (wakeTimer is { } kept && kept.At == at)
        {
            return kept.Timer;
        }

        if (wakeTimer is { } previous)
        {
            previous.Cancel.Cancel();
        }

        var cancel = new CancellationTokenSource();
        Task timer = context.CreateTimer(at > Now ? at : Now, cancel.Token);
        wakeTimer = (at, timer, cancel);
        return timer;
    }

    /// <summary>Cancels the kept timer: an orchestration with a timer neither fired nor cancelled does not complete.</summary>
    void DropWakeTimer()
    {
        wakeTimer?.Cancel.Cancel();
        wakeTimer = null;
    }

    /// <summary>The shared wait for merged alerts, armed for the whole run so an alert is taken at every stage.</summary>
    Task<RiskAlert> ArmMerges() => pendingMerge ??= context.WaitForExternalEvent<RiskAlert>(IncidentEvents.AlertMerged);

    /// <summary>Takes the alert of a completed merge wait (once, whoever saw it first); true when it is new to the incident.</summary>
    bool OnMerged(Task<RiskAlert> merge)
    {
        if (pendingMerge == merge)
        {
            pendingMerge = null;
        }

        return TakeAlert(merge.Result);
    }

    /// <summary>
    /// Awaits <paramref name="work"/> (an activity, a step, evidence being preserved) while taking every alert
    /// merged meanwhile: no stage leaves a merged alert unread.
    /// </summary>
    async Task<T> TakingAlertsAsync<T>(Task<T> work)
    {
        while (!work.IsCompleted)
        {
            Task<RiskAlert> merge = ArmMerges();
            if (await Task.WhenAny(work, merge) == merge)
            {
                OnMerged(merge);
            }
        }

        return await work;
    }

    async Task TakingAlertsAsync(Task work) => await TakingAlertsAsync(AsResult(work));

    static async Task<bool> AsResult(Task work)
    {
        await work;
        return true;
    }

    /// <summary>Alerts already delivered to the incident, taken without waiting (a completed wait re-arms on buffered events).</summary>
    void TakeDeliveredAlerts()
    {
        while (ArmMerges() is { IsCompleted: true } merge)
        {
            OnMerged(merge);
        }
    }

    Task<T> CallAsync<T>(string activity, object input) => TakingAlertsAsync(context.CallActivityAsync<T>(activity, input, Retry()));

    Task CallAsync(string activity, object input) => TakingAlertsAsync(context.CallActivityAsync(activity, input, Retry()));

    /// <summary>
    /// Runs an activity step. A step that still fails after its retries does not fail the incident:
    /// the failure goes on the timeline and the status (each failed step on its own, parallel ones too),
    /// operators are told, and the step waits for an operator to retry it (all waiting steps, or this one
    /// by name) or close the incident.
    /// </summary>
    async Task<T> StepAsync<T>(string step, Func<Task<T>> call)
    {
        while (true)
        {
            try
            {
                return await TakingAlertsAsync(call());
            }
            catch (TaskFailedException ex)
            {
                string error = ex.FailureDetails?.ErrorMessage ?? ex.Message;
                error = error.Length > 300 ? error[..300] + "…" : error;
                var failure = new StepFailure(step, error, Now);
                waiting.Add(failure);
                Record(TimelineSteps.StepFailed, $"{step}: {error}. Waiting for an operator to retry.");
                if (waiting.Count == 1)
                {
                    await TellOperatorsAsync($"Step {step} failed", $"Incident {IncidentId}: step {step} failed after its retries: {error}. " +
                        "Retry it from the dashboard or the operator API once the cause is fixed (one retry resumes every waiting step).");
                }

                try
                {
                    await WaitForOperatorAsync(step);
                }
                finally
                {
                    waiting.Remove(failure);
                }

                Record(TimelineSteps.StepRetried, $"{step}: retry requested by an operator");
            }
        }
    }

    async Task WaitForOperatorAsync(string step)
    {
        while (true)
        {
            // While a gate is open, decisions are the gate's to answer.
            Wake wake = await NextAsync(until: null, decisions: openGate is null);
            switch (wake.Kind)
            {
                case WakeKind.Operator when wake.Action!.Action == OperatorActions.Retry && (wake.Action.Step is null || wake.Action.Step == step):
                    Record(TimelineSteps.Operator, $"{wake.Action.Operator}: retry {step}. {wake.Action.Reason}".TrimEnd());
                    return;
                case WakeKind.Operator when wake.Action!.Action == OperatorActions.Retry:
                    break; // a retry of another waiting step
                case WakeKind.Operator when wake.Action!.Action == OperatorActions.Close:
                    throw new IncidentClosedByOperator(wake.Action.Operator, wake.Action.Reason);
                case WakeKind.Operator when openGate is null && waiting.Count > 0 && waiting[0].Step == step:
                    Record(TimelineSteps.OperatorActionRefused, $"{wake.Action!.Action}: the incident is waiting for a retry of {string.Join(", ", waiting.Select(w => w.Step))}");
                    break;
                case WakeKind.Decision when waiting.Count > 0 && waiting[0].Step == step:
                    Receipt(wake.Decision!, false, "The incident is waiting for an operator to fix a failed step; your decision was not recorded. Try again later.");
                    break;
                default:
                    break; // a merged alert (taken, its evidence queued) or an event another waiter answers
            }
        }
    }
}

internal sealed class IncidentClosedByOperator(string operatorName, string reason)
    : Exception($"{operatorName}: {reason}")
{
    public string Outcome { get; } = Outcomes.Unreviewed;

    public string Operator { get; } = operatorName;
}
