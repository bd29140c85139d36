namespace Maple.Demo;

/// <summary>How the world's images look: the style CLIP is pretrained on, or the shifted one of the downstream task.</summary>
public enum DemoStyle
{
    /// <summary>Flat or patterned shapes on plain or gradient backgrounds, light or dark, with little noise.</summary>
    Pretraining,

    /// <summary>Mostly patterned shapes, some outlined, turned further, on busy backgrounds of checks and blobs, with more noise.</summary>
    Downstream,
}
