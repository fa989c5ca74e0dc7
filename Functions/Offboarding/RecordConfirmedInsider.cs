namespace Cordon.Offboarding;

/// <summary>Counts confirmed insiders at the subject's site, for the vendor-offboarding trigger.</summary>
public sealed class RecordConfirmedInsider(ISiteRegister register) : TaskActivity<ConfirmedInsider, int>
{
    [Function(nameof(RecordConfirmedInsider))]
    public Task<int> Run([ActivityTrigger] ConfirmedInsider insider) => RunAsync(ActivityContexts.For(nameof(RecordConfirmedInsider)), insider);

    public override Task<int> RunAsync(TaskActivityContext context, ConfirmedInsider insider) => register.RecordAsync(insider, CancellationToken.None);
}
