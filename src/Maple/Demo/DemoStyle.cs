namespace Maple.Demo;

/// <summary>How the world's images look: the style CLIP is pretrained on, or the shifted one of the downstream task.</summary>
public enum DemoStyle
{
    /// <summary>Flat-colour shapes, slightly turned, on plain light backgrounds, with little noise.</summary>
    Pretraining,

    /// <summary>Patterned fills (stripes, dots, checks), outlines, turned further, on busy backgrounds, with visible noise.</summary>
    Downstream,
}
