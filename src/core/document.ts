/** A project document (seed 004) as stored. */
export interface DocumentRow {
  id: number;
  projectId: string | null;
  docType: string;
  number: string;
  title: string;
  subtype: string | null;
  sourceContact: string | null;
  responsibleParty: string | null;
  routeCurrent: number;
  routeDestination: number | null;
  createdAt: number;
  updatedAt: number;
}

/** One row of a document's route. */
export interface DocumentRouteRow {
  rowId: string;
  seq: number;
  party: string;
  state: 'pending' | 'responded' | 'resolved';
}
