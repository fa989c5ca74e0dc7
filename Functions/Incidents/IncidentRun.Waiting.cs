using Cordon.Alerts;
using Cordon.Monitoring;
using Microsoft.DurableTask;

namespace Cordon.Incidents;

internal sealed partial class IncidentRun
{
    enum WakeKind { Timeout, Decision, Merge, Operator }

    readonly record struct Wake(WakeKind Kind, ApprovalDecision? Decision = null, RiskAlert? Alert = null, OperatorAction? Action = null);

    /// <summary>
    /// Waits for the next event or until <paramref name="until"/>. The event waits live across calls:
    /// a fresh WaitForExternalEvent per call would leave the earlier waiter first in line for the event.
    /// </summary>
    async Task<Wake> NextAsync(DateTime? until)
    {
        pendingDecision ??= context.WaitForExternalEvent<ApprovalDecision>(IncidentEvents.Decision);
        pendingMerge ??= context.WaitForExternalEvent<RiskAlert>(IncidentEvents.AlertMerged);
        pendingOperator ??= context.WaitForExternalEvent<OperatorAction>(IncidentEvents.OperatorAction);

        using var cancelTimer = new CancellationTokenSource();
        var waits = new List<Task> { pendingDecision, pendingMerge, pendingOperator };
        Task? timer = null;
        if (until is not null)
        {
            timer = context.CreateTimer(until.Value > Now ? until.Value : Now, cancelTimer.Token);
            waits.Add(timer);
        }

        Task winner = await Task.WhenAny(waits);
        if (winner != timer)
        {
            cancelTimer.Cancel();
        }

        if (winner == pendingDecision)
        {
            ApprovalDecision d = pendingDecision.Result;
            pendingDecision = null;
            return new Wake(WakeKind.Decision, Decision: d);
        }

        if (winner == pendingMerge)
        {
            RiskAlert a = pendingMerge.Result;
            pendingMerge = null;
            return new Wake(WakeKind.Merge, Alert: a);
        }

        if (winner == pendingOperator)
        {
            OperatorAction o = pendingOperator.Result;
            pendingOperator = null;
            return new Wake(WakeKind.Operator, Action: o);
        }

        return new Wake(WakeKind.Timeout);
    }

    /// <summary>
    /// Runs an activity step. A step that still fails after its retries does not fail the incident:
    /// the failure goes on the timeline, operators are told, and the incident waits for an operator
    /// to retry (or close) it.
    /// </summary>
    async Task<T> StepAsync<T>(string step, Func<Task<T>> call)
    {
        while (true)
        {
            try
            {
                return await call();
            }
            catch (TaskFailedException ex)
            {
                string error = ex.FailureDetails?.ErrorMessage ?? ex.Message;
                status = status with { WaitingForOperator = new StepFailure(step, error, Now) };
                Record("step failed", $"{step}: {error}. Waiting for an operator to retry.");
                await TellOperatorsAsync($"Step {step} failed", $"Incident {IncidentId}: step {step} failed after its retries: {error}. " +
                    "Retry it from the dashboard or the operator API once the cause is fixed.");
                await WaitForOperatorAsync(step);
                status = status with { WaitingForOperator = null };
                Record("step retried", $"{step}: retry requested by an operator");
            }
        }
    }

    async Task WaitForOperatorAsync(string step)
    {
        while (true)
        {
            Wake wake = await NextAsync(until: null);
            switch (wake.Kind)
            {
                case WakeKind.Operator when wake.Action!.Action == OperatorActions.Retry:
                    Record("operator", $"{wake.Action.Operator}: retry {step}. {wake.Action.Reason}".TrimEnd());
                    return;
                case WakeKind.Operator when wake.Action!.Action == OperatorActions.Close:
                    throw new IncidentClosedByOperator(wake.Action.Operator, wake.Action.Reason);
                case WakeKind.Operator:
                    Record("operator action refused", $"{wake.Action!.Action}: the incident is waiting for a retry of {step}");
                    break;
                case WakeKind.Decision:
                    Receipt(wake.Decision!, false, "The incident is waiting for an operator to fix a failed step; your decision was not recorded. Try again later.");
                    break;
                case WakeKind.Merge:
                    // Recorded, not acted on: acting needs the very steps that are failing.
                    if (alertIds.Add(AlertKey(wake.Alert!)))
                    {
                        status = status with { Severity = Severities.Max(status.Severity, wake.Alert!.Severity), RiskScore = Math.Max(status.RiskScore, wake.Alert.RiskScore) };
                        Record("alert merged", $"alert {wake.Alert.AlertId} recorded while waiting for an operator");
                    }

                    break;
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
