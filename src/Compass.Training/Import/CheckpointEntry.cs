namespace Compass.Training.Import;

/// <summary>Which network's state_dict to take from a checkpoint file.</summary>
public enum CheckpointEntry
{
    /// <summary>The base-layer codec (<c>base_state_dict</c> in a COMPASS checkpoint).</summary>
    BaseCodec,

    /// <summary>The enhancement-layer residual codec (<c>residual_state_dict</c>).</summary>
    ResidualCodec,

    /// <summary>LIFF (<c>conti_sr_state_dict</c>; <c>model_state_dict</c> in the pre-trained LIFF file).</summary>
    Liff,
}
