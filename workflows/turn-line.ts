/**
 * A first-come, first-served line of workflow handlers. A plain flag would not do: every handler waiting on
 * `condition(() => !busy)` is unblocked in the same pass, so all would start at once.
 */
export class TurnLine {
  private next = 0;
  private readonly waiting: number[] = [];

  join(): number {
    const turn = this.next++;
    this.waiting.push(turn);
    return turn;
  }

  isFirst(turn: number): boolean {
    return this.waiting[0] === turn;
  }

  leave(turn: number): void {
    const at = this.waiting.indexOf(turn);
    if (at >= 0) this.waiting.splice(at, 1);
  }
}
